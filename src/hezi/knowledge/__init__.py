"""Knowledge bases: turning uploaded documents into cited, searchable chunks.

This package owns parsing documents of every supported format into one block structure (headings, paragraphs,
lists, tables and page numbers kept for citations), chunking those blocks deterministically, embedding and indexing
them, and hybrid retrieval — per knowledge base for the console and the Dify API (`search.SearchService`, with the
caller's access check) and across several at once for agents and apps (`retriever.Retriever`). It reaches models
only through its ports (`access.Embed`, `access.Rerank`), never by importing `hezi.serving`; it may import
`hezi.accounts`, `hezi.db`, `hezi.errors` and `hezi.settings`, and it must never import the HTTP layer (`hezi.api`,
FastAPI, Starlette).
"""

"""Suggested follow-up questions after an answer: one short model call held to a JSON list by a schema."""

from __future__ import annotations

import json

from hezi.agents.spec import AgentConfig
from hezi.errors import DomainError
from hezi.serving.client import ModelClient
from hezi.serving.openai_schemas import ChatCompletionRequest
from hezi.serving.usage import Attribution

SCHEMA = {
    "type": "object",
    "properties": {
        "questions": {
            "type": "array",
            "items": {"type": "string", "minLength": 3, "maxLength": 100},
            "minItems": 1,
            "maxItems": 3,
        }
    },
    "required": ["questions"],
}


async def follow_ups(
    models: ModelClient, who: Attribution, config: AgentConfig, question: str, answer: str
) -> list[str]:
    """Up to three questions the person might ask next; none when the model cannot say (never an error)."""
    prompt = (
        f"Question: {question[:1000]}\nAnswer: {answer[:2000]}\n\n"
        'Suggest up to three short follow-up questions the user might ask next, as JSON {"questions": [...]}, '
        "in the language of the question."
    )
    request = ChatCompletionRequest.model_validate(
        {
            "model": config.model,
            "messages": [{"role": "user", "content": prompt}],
            "temperature": 0.3,
            # Room for three questions at their longest (the schema holds the model to JSON, not to brevity): a
            # list cut off by the token limit would not parse, and the answer would get no suggestions at all.
            "max_tokens": 320,
            "response_format": {"type": "json_schema", "json_schema": {"name": "follow_ups", "schema": SCHEMA}},
        }
    )
    try:
        result = await models.chat(request, who)
        questions = json.loads(result.text).get("questions", [])
    except (DomainError, ValueError, AttributeError):
        return []
    seen: list[str] = []
    for q in questions:
        if isinstance(q, str) and q.strip() and q.strip() not in seen:
            seen.append(q.strip())
    return seen[:3]

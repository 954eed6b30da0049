# Writes tokenizer.json: a hand-made byte-level BPE tokenizer shaped exactly like Qwen2's (NFC
# normalizer, Qwen's split regex, ByteLevel pre-tokenizer/decoder, single-byte tokens numbered in
# GPT-2's bytes_to_unicode order so "!" = 0 and "Ġ" (space) = 220), with five merges and Qwen's
# three special tokens. TokenizerTest checks DJL against ids worked out by hand from these merges.
# Run: python3 make_tokenizer.py  (needs nothing but the standard library)
import json

def bytes_to_unicode():
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return bs, [chr(c) for c in cs]

order, chars = bytes_to_unicode()
vocab = {c: i for i, c in enumerate(chars)}       # id i is byte order[i]
merges = ["Ġ t", "h e", "Ġt he", "l l", "ä ½"]     # ranks 0..4 -> ids 256..260
for m in merges:
    vocab[m.replace(" ", "")] = len(vocab)
added = [{"id": 261 + i, "content": c, "single_word": False, "lstrip": False, "rstrip": False,
          "normalized": False, "special": True}
         for i, c in enumerate(["<|endoftext|>", "<|im_start|>", "<|im_end|>"])]
byte_level = {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": False, "use_regex": False}
QWEN_SPLIT = r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"
tok = {
    "version": "1.0", "truncation": None, "padding": None, "added_tokens": added,
    "normalizer": {"type": "NFC"},
    "pre_tokenizer": {"type": "Sequence", "pretokenizers": [
        {"type": "Split", "pattern": {"Regex": QWEN_SPLIT}, "behavior": "Isolated", "invert": False},
        byte_level]},
    "post_processor": byte_level, "decoder": byte_level,
    "model": {"type": "BPE", "dropout": None, "unk_token": None, "continuing_subword_prefix": "",
              "end_of_word_suffix": "", "fuse_unk": False, "byte_fallback": False,
              "ignore_merges": False, "vocab": vocab, "merges": merges},
}
with open("tokenizer.json", "w", encoding="utf-8") as f:
    json.dump(tok, f, ensure_ascii=False, indent=2)
    f.write("\n")

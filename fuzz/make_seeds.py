#!/usr/bin/env python3
"""Writes the seed corpus of the fuzz harnesses (fuzz/corpus/<harness>/), standard library only.

Each seed is what the harness reads: for idx and csv a mode byte then the file; for mnist a 4-byte
split, a mode byte, then the images and labels files; for safetensors a mode byte then the file.
The module and optimizer files for the safetensors harness come from fuzz_seed_states (C++, it
needs tg::save). Run from the repository root: python3 fuzz/make_seeds.py
"""
import gzip
import json
import os
import struct

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus")


def put(harness, name, data):
    folder = os.path.join(ROOT, harness)
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, name), "wb") as f:
        f.write(data)


def idx(type_code, dims, payload):
    return bytes([0, 0, type_code, len(dims)]) + b"".join(struct.pack(">I", d) for d in dims) + payload


# ---- idx: mode byte (dtype = mode % 5, gzip the rest when mode & 0x80), then the file
put("idx", "ubyte_2x3", bytes([0]) + idx(0x08, [2, 3], bytes(range(6))))
put("idx", "int8_as_float", bytes([1]) + idx(0x09, [4], b"\x01\xff\x7f\x80"))
put("idx", "int16", bytes([3]) + idx(0x0B, [2], struct.pack(">hh", -2, 300)))
put("idx", "int32_as_bool", bytes([4]) + idx(0x0C, [1, 2], struct.pack(">ii", 0, 7)))
put("idx", "float32", bytes([0]) + idx(0x0D, [2, 1], struct.pack(">ff", 1.5, -2.0)))
put("idx", "float64_nan_as_int64", bytes([3]) + idx(0x0E, [2], struct.pack(">dd", float("nan"), 1e300)))
put("idx", "gzip_by_mode", bytes([0x80]) + idx(0x08, [3], b"abc"))
put("idx", "gzip_in_file", bytes([0]) + gzip.compress(idx(0x08, [2, 2], b"\x00\x01\x02\x03")))
put("idx", "zero_dims", bytes([0]) + idx(0x08, [], b"\x05"))
# the findings: a 0 dim beside two near 2^32 (strides overflow), and five dims of 2^31
# (the element count wraps to 0 in 128-bit arithmetic)
put("idx", "finding_zero_dim_huge_strides", bytes([0]) + idx(0x08, [0, 0xFFFFFFF0, 0xFFFFFFF0], b""))
put("idx", "finding_five_dims_2p31", bytes([0]) + idx(0x08, [1 << 31] * 5, b""))
# a small decompression bomb: one element declared, 64 KiB of zeros behind it
put("idx", "gzip_bomb_small", bytes([0]) + gzip.compress(idx(0x08, [1], b"\x07") + bytes(1 << 16)))

# ---- csv: mode byte (bit 0 header, bits 1-2 delimiter ,;\t space, bit 3 float64, bit 7 gzip)
put("csv", "header", bytes([1]) + b"a,b,c\n1,2,3\n4.5,-6e3,nan\n")
put("csv", "no_header_semicolon", bytes([2]) + b"1;2\n3;4\r\n\n5;inf\n")
put("csv", "quoted_header_tab", bytes([5]) + b'"x"\t"y"\n1\t2\n')
put("csv", "ragged", bytes([1]) + b"a,b\n1,2\n3\n")
put("csv", "gzip", bytes([0x81]) + b"a\n1\n2\n")
put("csv", "gzip_over_max_bytes", bytes([0]) + gzip.compress(b"1\n" * 40000))

# ---- mnist: 4-byte split (length of the images file), mode (bit 0 train, bit 1/2 gzip images/labels)
images = idx(0x08, [2, 2, 2], bytes(range(8)))
labels = idx(0x08, [2], b"\x03\x09")
put("mnist", "train_pair", struct.pack(">I", len(images)) + bytes([1]) + images + labels)
put("mnist", "test_pair_gzip", struct.pack(">I", len(images)) + bytes([6]) + images + labels)
put("mnist", "count_mismatch", struct.pack(">I", len(images)) + bytes([1]) + images + idx(0x08, [3], b"\x01\x02\x03"))
put("mnist", "finding_overflowing_dims",
    struct.pack(">I", 16) + bytes([1]) + idx(0x08, [0, 0xFFFFFFF0, 0xFFFFFFF0], b"") + idx(0x08, [0], b""))


# ---- safetensors (byte level): mode byte (0 raw load, 1 module, 2 Adam, 3 SGD), then the file
def safetensors(entries, metadata=None):
    header, data = {}, b""
    if metadata:
        header["__metadata__"] = metadata
    for name, (dtype, shape, payload) in entries.items():
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [len(data), len(data) + len(payload)]}
        data += payload
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * ((8 - len(text) % 8) % 8)
    return struct.pack("<Q", len(text)) + text + data


small = safetensors({"w": ("F32", [2, 2], struct.pack("<4f", 1, 2, 3, 4)),
                     "i": ("I64", [1], struct.pack("<q", 5)), "b": ("BOOL", [2], b"\x00\x01")},
                    {"format": "pt"})
put("safetensors", "raw_small", bytes([0]) + small)
put("safetensors", "raw_f16_u8", bytes([0]) + safetensors({"h": ("F16", [2], b"\x00\x3c\x00\xc0"),
                                                           "u": ("U8", [3], b"\x01\x02\xff")}))
put("safetensors", "raw_huge_shape", bytes([0]) + safetensors({"x": ("F32", [1 << 62, 4], b"")}))
put("safetensors", "raw_truncated", bytes([0]) + small[:-3])
put("safetensors_structured", "two_entries", bytes([1, 2, 0, 2, 2, 3, 0, 0, 1, 1, 1, 0]))
put("safetensors_structured", "huge_dims", bytes([0, 1, 0, 3, 6, 8, 9, 0, 0]))

# ---- shape_ops: op byte, then the input's and the op's choices (see harness/shape_ops.cpp)
for op in range(24):
    put("shape_ops", "op_%02d_small" % op, bytes([op, 0, 2, 2, 3, 1, 2, 1, 1, 2, 2, 1, 3, 0, 2]))
    put("shape_ops", "op_%02d_huge" % op, bytes([op, 3, 2, 12, 14, 1, 13, 15, 2, 3, 9, 1, 7, 8, 4]))
print("seeds written to", ROOT)

#!/usr/bin/python3
# Regenerates the .npy fixtures of tests/unit/test_npy.cpp (run once, offline; the tests do not
# need Python). Good files are written by NumPy itself; malformed ones are NumPy files with
# bytes changed. Usage: python3 make_fixtures.py  (in this directory, NumPy installed).
import numpy as np

def save(name, arr, version=None):
    with open(name, "wb") as f:
        np.lib.format.write_array(f, arr, version=version, allow_pickle=False)

save("f4_2x3.npy", (np.arange(6, dtype=np.float32).reshape(2, 3) * 0.5 - 1))
save("f8_3x2.npy", np.array([[1 / 3, -2.5], [1e-300, 7.0], [0.0, -0.0]], dtype=np.float64))
save("f2_2x3.npy", np.array([[1.0, -2.0, 0.1], [65504.0, 2.0**-24, -0.0]], dtype=np.float16))
save("f4_1d.npy", np.array([1.5, -0.25, 3.0, 8.0], dtype=np.float32))
save("f8_v2.npy", np.array([[1.0, 2.0], [3.0, 4.0]], dtype=np.float64), version=(2, 0))
save("f4_fortran.npy", np.asfortranarray(np.ones((2, 3), dtype=np.float32)))
save("f4_bigendian.npy", np.ones((2, 2), dtype=">f4"))
save("f4_3d.npy", np.zeros((2, 2, 2), dtype=np.float32))
save("i4_2x2.npy", np.array([[1, 2], [3, 4]], dtype=np.int32))

good = open("f4_2x3.npy", "rb").read()
open("bad_magic.npy", "wb").write(b"\x93NUMPZ" + good[6:])
open("version3.npy", "wb").write(good[:6] + b"\x03\x00" + good[8:])
open("truncated.npy", "wb").write(good[:-4])
hlen = good[8] | (good[9] << 8)
header = good[10:10 + hlen].replace(b"False", b"Maybe")
open("bad_header.npy", "wb").write(good[:10] + header + good[10 + hlen:])
open("trailing.npy", "wb").write(good + b"\x00\x00\x00\x00")

"""Reading rt2data's WebDataset tar shards: members streamed out of large reads, headers checked as ``tarfile``
checks them.

:func:`iter_tar_members` reads a megabyte at a time and slices members out of it. A header our writer made (every
field but name, size and checksum as the template below has them, a plain ``KEY.EXT`` name, octal fields in the
writer's form) is checked with a few ``startswith`` comparisons and one byte sum (issue 14: ``validate`` and the
readers at 20,000 examples/s); any other header, a member that crosses the end of what has been read, and PAX
headers go through the general parse (``tarfile``'s rules: ustar fields, both checksums, PAX ``path``/``size``),
which words every error. Both paths accept exactly what ``tarfile`` accepts (``tests/shards/test_tar_read.py``).
"""

from __future__ import annotations

import re
import struct
import tarfile
from typing import BinaryIO, Iterator

from rt2data.errors import DataError
from rt2data.shards.files import reader_into

__all__ = ["iter_tar_members", "check_member_name", "pax_records"]

_BLOCK = tarfile.BLOCKSIZE

# A ustar header block of our members, field by field as tarfile's _create_header lays it out: name[100] mode[8]
# uid[8] gid[8] size[12] mtime[12] chksum[8] type[1] linkname[100] magic[8] uname[32] gname[32] devmajor[8]
# devminor[8] prefix[155], padded to 512 bytes. Only name, size and the checksum vary.
_MODE_IDS = b"0000644\0" + b"0000000\0" * 2
_MTIME = b"00000000000\0"
_TAIL = (tarfile.REGTYPE + b"\0" * 100 + tarfile.POSIX_MAGIC + b"\0" * (32 + 32 + 8 + 8 + 155)).ljust(_BLOCK - 156, b"\0")
_FIXED_SUM = 8 * ord(" ") + sum(_MODE_IDS) + sum(_MTIME) + sum(_TAIL)  # the checksum counts its field as spaces
_SIZES: dict[int, tuple[int, int]] = {}  # size field (12 bytes as an int) -> (size, byte sum of the field)
_SUMS: dict[int, int | None] = {}  # checksum field (8 bytes as an int) -> the checksum it states (None: not octal)


def _size_field(field: bytes) -> tuple[int, int] | None:
    """``(size, byte sum)`` of a size field in our writer's form (11 octal digits as int() reads them, then NUL),
    remembered; None for any other form (the general parse decides)."""
    if field[11]:
        return None
    try:  # int() refuses a NUL and takes what tarfile's int(field.strip(), 8) takes
        size = int(field[:11], 8)
    except ValueError:
        return None
    if size < 0:
        return None
    if len(_SIZES) > 1 << 16:
        _SIZES.clear()
    found = _SIZES[int.from_bytes(field, "big")] = (size, sum(field))
    return found


def _sum_field(field: bytes) -> int | None:
    """The checksum a checksum field states in our writer's form (6 octal digits, NUL), as tarfile reads it;
    remembered. None for any other form (no sum equals it: the general parse decides)."""
    stored = None
    if not field[6]:
        try:
            stored = int(field[:6], 8)
        except ValueError:
            pass
    if len(_SUMS) > 1 << 16:
        _SUMS.clear()
    _SUMS[int.from_bytes(field, "big")] = stored
    return stored


_SAFE_NAME = re.compile(rb"[A-Za-z0-9][A-Za-z0-9_-]*\.[A-Za-z0-9]+").fullmatch  # check_member_name passes it
_NUL = b"\0" * 100

def check_member_name(name: str, *, shard: str) -> tuple[str, str]:
    """Split an rt2data member name into ``(key, extension)``.

    Raises:
        DataError: the name is absolute, has a ``..`` component, a folder, or no extension.
    """
    if name.startswith("/") or "\\" in name or (len(name) > 1 and name[1] == ":"):
        raise DataError(f"{shard}: tar member {name!r} has an absolute path; refusing a member that escapes the shard")
    if ".." in name.split("/"):  # a '..' component (what PurePosixPath(name).parts would show)
        raise DataError(f"{shard}: tar member {name!r} contains '..'; refusing a member that escapes the shard")
    if "/" in name:
        raise DataError(f"{shard}: tar member {name!r} is in a folder; rt2data shards hold only KEY.EXT members")
    key, dot, ext = name.partition(".")
    if not dot or not key or not ext:
        raise DataError(f"{shard}: tar member {name!r} is not named KEY.EXT")
    return key, ext


def _octal(field: bytes) -> int:
    """A numeric header field as ``tarfile.nti`` reads it (octal text, or GNU base-256)."""
    if field[:1] in (b"\x80", b"\xff"):
        n = int.from_bytes(field[1:], "big")
        return n - (256 ** (len(field) - 1)) if field[:1] == b"\xff" else n
    return int(field.split(b"\0", 1)[0].strip() or b"0", 8)


def _text(field: bytes) -> str:
    return field.split(b"\0", 1)[0].decode("utf-8", "surrogateescape")


def pax_records(data: bytes) -> dict[str, str]:
    """``{keyword: value}`` of a PAX extended header (records ``"<len> <keyword>=<value>\\n"``)."""
    out, pos = {}, 0
    while pos < len(data) and data[pos:pos + 1] != b"\0":
        space = data.index(b" ", pos)
        length = int(data[pos:space])
        if length <= 0:
            raise ValueError("PAX record of length 0")
        keyword, _, value = data[space + 1 : pos + length - 1].partition(b"=")
        out[keyword.decode("utf-8", "surrogateescape")] = value.decode("utf-8", "surrogateescape")
        pos += length
    return out


_REGULAR = (b"0", b"\0", b"7")  # tarfile's REGULAR_TYPES, less the sparse files tar never gives us here


_CHUNK = 1 << 20


def _refill(f: BinaryIO, buf: bytes, pos: int, n: int) -> bytes:
    """``buf[pos:]`` followed by reads of ``f`` (a megabyte or more each) until it holds ``n`` bytes or ``f`` ends."""
    parts = [buf[pos:]]
    have = len(parts[0])
    while have < n:
        more = f.read(max(_CHUNK, n - have))
        if not more:
            break
        parts.append(more)
        have += len(more)
    return b"".join(parts)


def iter_tar_members(f: BinaryIO, *, shard: str) -> Iterator[tuple[str, str, bytes, int, int]]:
    """Stream ``(key, extension, data, header_offset, data_offset)`` of every member of an rt2data tar shard
    (``header_offset``: where the member starts, its PAX header if it has one; ``data_offset``: where ``data``
    lies in the archive).

    Headers are parsed here, block by block, as ``tarfile`` parses them (ustar fields, checksum, PAX ``path`` and
    ``size`` records for long names), without its per-member objects: reading is several times faster. ``f`` is
    read a megabyte at a time (one read, and one hash update of a ``HashingReader``, per megabyte; past the end of
    the archive, at most to the end of that megabyte) and members are sliced out of it.

    Raises:
        DataError: unreadable/corrupt tar, non-regular member, or a member name that escapes the shard.
    """
    # The fast path reads into ``window`` (reused: no allocation per read) and hands what it has not consumed to
    # the general parse in ``buf`` when it meets a header it does not vouch for; ``offset``: the archive offset of
    # the first unconsumed byte (``window[wpos]`` or ``buf[pos]``).
    window, wpos, wend, eof = bytearray(_CHUNK), 0, 0, False
    expect: bytes | None = None  # the name field the next member has when it is the JSON of the sample just read
    expect_key, expect_sum = "", 0
    read_into = reader_into(f)  # a HashingReader's hashes what it reads
    buf, pos = b"", 0
    offset = 0
    pax: dict[str, str] = {}
    pax_offset: int | None = None
    while True:
        if not pax:
            if pos < len(buf):  # back from the general parse: its unconsumed bytes go to the window
                rest = buf[pos:]
                wpos, wend, buf, pos = 0, len(rest), b"", 0
                if len(window) < wend:
                    window = bytearray(wend)
                window[:wend] = rest
            view = memoryview(window)
            while True:
                p = wpos
                data_start = p + _BLOCK
                if data_start > wend:
                    need = _BLOCK
                else:
                    if (not window.startswith(_TAIL, p + 156) or not window.startswith(_MODE_IDS, p + 100)
                            or not window.startswith(_MTIME, p + 136)):
                        break
                    if expect is not None and window.startswith(expect, p):  # KEY.json after KEY.<image>
                        key, ext, name_sum = expect_key, "json", expect_sum
                    else:
                        nul = window.find(b"\0", p, p + 100)
                        if nul < 0 or not window.startswith(_NUL[: p + 100 - nul], nul):
                            break
                        raw = window[p:nul]
                        if _SAFE_NAME(raw) is None:
                            break
                        key, _, ext = raw.decode("ascii").partition(".")
                        name_sum = sum(raw)
                    size_field = int.from_bytes(view[p + 124:p + 136], "big")
                    sized = _SIZES.get(size_field)
                    if sized is None:
                        sized = _size_field(bytes(view[p + 124:p + 136]))
                        if sized is None:
                            break
                    sum_field = int.from_bytes(view[p + 148:p + 156], "big")
                    stored = _SUMS.get(sum_field)
                    if stored is None:
                        stored = _sum_field(bytes(view[p + 148:p + 156]))
                    size = sized[0]
                    if stored != _FIXED_SUM + name_sum + sized[1]:
                        break
                    data_end = data_start + size
                    next_header = data_end + (-size % _BLOCK)
                    if next_header <= wend:
                        yield key, ext, bytes(view[data_start:data_end]), offset, offset + _BLOCK
                        offset += next_header - p
                        wpos = next_header
                        if ext == "json" or len(key) > 94:
                            expect = None
                        else:  # the name field of the sample's JSON member, NUL-padded, and its byte sum
                            named = key.encode("ascii") + b".json"
                            expect, expect_key, expect_sum = named.ljust(100, b"\0"), key, sum(named)
                        continue
                    need = next_header - p
                if eof:
                    break
                # move the unconsumed tail to the front and read until ``need`` bytes are there (or the end)
                left = wend - p
                window[:left] = window[p:wend]  # (a copy: the two ranges may overlap)
                if len(window) < need:
                    view.release()
                    window += bytes(need - len(window))
                    view = memoryview(window)
                wpos, wend = 0, left
                while wend < need:
                    got = read_into(view[wend:])
                    if not got:
                        eof = True
                        break
                    wend += got
            view.release()
            buf, pos = bytes(window[wpos:wend]), 0  # the general parse takes over
            wpos = wend = 0
        if len(buf) - pos < _BLOCK:
            buf, pos = _refill(f, buf, pos, _BLOCK), 0
        header = buf[pos:pos + _BLOCK]
        if not header or header == _ZERO_BLOCK:
            if offset == 0 and not header:
                raise DataError(f"{shard}: not a readable tar archive (ReadError: empty file)")
            return  # the end-of-archive blocks (or an archive cut at a member boundary, as tarfile reads it)
        if len(header) < _BLOCK:
            raise DataError(f"{shard}: not a readable tar archive (truncated header at byte {offset})")
        if _checksum_ok(header) is False:
            raise DataError(f"{shard}: not a readable tar archive (bad header checksum at byte {offset})")
        try:
            size = _octal(header[124:136])
            if size < 0:
                raise ValueError(f"negative member size {size}")
            name = _text(header[0:100])
            if header[257:263] == _MAGIC and header[345:346] != b"\0":
                name = _text(header[345:500]) + "/" + name
        except ValueError as exc:
            raise DataError(f"{shard}: not a readable tar archive (bad header at byte {offset}: {exc})") from exc
        kind = header[156:157]
        start = offset if pax_offset is None else pax_offset
        pad = -size % _BLOCK
        pos += _BLOCK
        if len(buf) - pos < size + pad:
            buf, pos = _refill(f, buf, pos, size + pad), 0
        data = buf[pos:pos + size]
        if kind in (b"x", b"g"):
            if len(data) < size:
                raise DataError(f"{shard}: not a readable tar archive (truncated PAX header at byte {offset})")
            pos = min(pos + size + pad, len(buf))
            offset += _BLOCK + size + pad
            if kind == b"x":
                try:
                    pax = pax_records(data)
                except ValueError as exc:
                    raise DataError(
                        f"{shard}: not a readable tar archive (bad PAX header at byte {start}: {exc})") from exc
                pax_offset = start
            continue
        if pax:
            if "path" in pax:
                name = pax["path"]
            if "size" in pax:
                size = int(pax["size"])
                if size < 0:
                    raise DataError(
                        f"{shard}: not a readable tar archive (negative size in the PAX header at byte {start})")
                pad = -size % _BLOCK
                if len(buf) - pos < size + pad:
                    buf, pos = _refill(f, buf, pos, size + pad), 0
                data = buf[pos:pos + size]
            pax, pax_offset = {}, None
        key, ext = check_member_name(name, shard=shard)
        if kind not in _REGULAR:
            raise DataError(f"{shard}: tar member {name!r} at byte {start} is not a regular file")
        if len(data) != size:
            raise DataError(f"{shard}: tar member {name!r} at byte {start} is truncated")
        if pad and len(buf) - pos < size + pad:
            raise DataError(f"{shard}: tar member {name!r} at byte {start} is truncated (padding)")
        pos += size + pad
        data_offset = offset + _BLOCK
        offset = data_offset + size + pad
        yield key, ext, data, start, data_offset


_MAGIC = tarfile.POSIX_MAGIC[:6]
_ZERO_BLOCK = b"\0" * _BLOCK


def _checksum_ok(header: bytes) -> bool:
    """The header checksum as ``tarfile`` accepts it: unsigned or signed byte sum, its own field as spaces."""
    try:
        stored = int(header[148:156].split(b"\0", 1)[0].strip() or b"-1", 8)
    except ValueError:
        return False
    if header[100:124] == _MODE_IDS and header[136:148] == _MTIME and header[156:] == _TAIL:
        # our writer's header: only the name and size fields vary (zeros add nothing to a sum, so the name's
        # trailing NULs are left out); the same unsigned sum as below, in a tenth of the time
        if stored == _FIXED_SUM + sum(header[:100].rstrip(b"\0")) + sum(header[124:136]):
            return True
    unsigned = 256 + sum(header[:148]) + sum(header[156:])
    if stored == unsigned:
        return True
    signed = 256 + sum(struct.unpack_from("148b8x356b", header))
    return stored == signed

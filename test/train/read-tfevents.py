"""Reads TensorBoard event files independently of albert's writer, for test/train/run-outputs.test.ts.

    python3 read-tfevents.py FILE...

Checks the TFRecord framing of every record (length, masked CRC-32C of the length, data, masked
CRC-32C of the data) with its own CRC-32C, decodes each tensorflow.Event with google.protobuf
(message classes built here from the fields of tensorflow/core/util/event.proto and
framework/summary.proto) when it is installed, else by hand from the wire format, and prints
JSON: [{"file", "decoder", "events": [{"wall_time", "step", "file_version"?, "session_log"?,
"scalars"?: {tag: value}}]}]. A bad CRC or a malformed record exits 1 with the reason.
"""
import json
import struct
import sys


def crc32c_table():
    table = []
    for i in range(256):
        c = i
        for _ in range(8):
            c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
        table.append(c)
    return table


TABLE = crc32c_table()


def crc32c(data: bytes) -> int:
    c = 0xFFFFFFFF
    for b in data:
        c = TABLE[(c ^ b) & 0xFF] ^ (c >> 8)
    return c ^ 0xFFFFFFFF


def masked(data: bytes) -> int:
    c = crc32c(data)
    return ((((c >> 15) | (c << 17)) & 0xFFFFFFFF) + 0xA282EAD8) & 0xFFFFFFFF


def records(path: str):
    with open(path, "rb") as f:
        buf = f.read()
    at = 0
    while at < len(buf):
        if at + 12 > len(buf):
            sys.exit(f"{path}: truncated header at byte {at}")
        header = buf[at:at + 8]
        (length,) = struct.unpack("<Q", header)
        (length_crc,) = struct.unpack("<I", buf[at + 8:at + 12])
        if masked(header) != length_crc:
            sys.exit(f"{path}: bad length CRC at byte {at}")
        data = buf[at + 12:at + 12 + length]
        if len(data) != length or at + 16 + length > len(buf):
            sys.exit(f"{path}: truncated record at byte {at}")
        (data_crc,) = struct.unpack("<I", buf[at + 12 + length:at + 16 + length])
        if masked(data) != data_crc:
            sys.exit(f"{path}: bad data CRC at byte {at}")
        yield data
        at += 16 + length


# ---- google.protobuf: message classes from descriptors written here ----

def protobuf_decoder():
    try:
        from google.protobuf import descriptor_pb2, descriptor_pool
        try:
            from google.protobuf import message_factory
            get = getattr(message_factory, "GetMessageClass", None)
        except ImportError:
            return None
    except ImportError:
        return None
    F = descriptor_pb2.FieldDescriptorProto
    fdp = descriptor_pb2.FileDescriptorProto(name="albert_test_event.proto", package="tensorflow", syntax="proto3")

    def message(name, fields, oneof=None):
        m = fdp.message_type.add(name=name)
        if oneof:
            m.oneof_decl.add(name=oneof)
        for fname, number, ftype, label, type_name, in_oneof in fields:
            f = m.field.add(name=fname, number=number, type=ftype, label=label)
            if type_name:
                f.type_name = type_name
            if in_oneof:
                f.oneof_index = 0

    OPT, REP = F.LABEL_OPTIONAL, F.LABEL_REPEATED
    message("SummaryValue", [("tag", 1, F.TYPE_STRING, OPT, None, False), ("simple_value", 2, F.TYPE_FLOAT, OPT, None, True)], oneof="value")
    message("Summary", [("value", 1, F.TYPE_MESSAGE, REP, ".tensorflow.SummaryValue", False)])
    message("SessionLog", [("status", 1, F.TYPE_INT32, OPT, None, False), ("checkpoint_path", 2, F.TYPE_STRING, OPT, None, False), ("msg", 3, F.TYPE_STRING, OPT, None, False)])
    message(
        "Event",
        [
            ("wall_time", 1, F.TYPE_DOUBLE, OPT, None, False),
            ("step", 2, F.TYPE_INT64, OPT, None, False),
            ("file_version", 3, F.TYPE_STRING, OPT, None, True),
            ("graph_def", 4, F.TYPE_BYTES, OPT, None, True),
            ("summary", 5, F.TYPE_MESSAGE, OPT, ".tensorflow.Summary", True),
            ("session_log", 7, F.TYPE_MESSAGE, OPT, ".tensorflow.SessionLog", True),
        ],
        oneof="what",
    )
    pool = descriptor_pool.DescriptorPool()
    pool.Add(fdp)
    desc = pool.FindMessageTypeByName("tensorflow.Event")
    Event = get(desc) if get else message_factory.MessageFactory(pool).GetPrototype(desc)

    def decode(data: bytes) -> dict:
        e = Event()
        e.ParseFromString(data)
        out = {"wall_time": e.wall_time, "step": e.step}
        what = e.WhichOneof("what")
        if what == "file_version":
            out["file_version"] = e.file_version
        elif what == "session_log":
            out["session_log"] = e.session_log.status
        elif what == "summary":
            out["scalars"] = {v.tag: v.simple_value for v in e.summary.value}
        return out

    return decode


# ---- by hand: the protobuf wire format ----

def fields(data: bytes):
    at = 0
    while at < len(data):
        key, at = varint(data, at)
        number, wire = key >> 3, key & 7
        if wire == 0:
            value, at = varint(data, at)
        elif wire == 1:
            value, at = data[at:at + 8], at + 8
        elif wire == 5:
            value, at = data[at:at + 4], at + 4
        elif wire == 2:
            n, at = varint(data, at)
            value, at = data[at:at + n], at + n
        else:
            sys.exit(f"wire type {wire} not expected")
        yield number, wire, value


def varint(data: bytes, at: int):
    shift = result = 0
    while True:
        b = data[at]
        at += 1
        result |= (b & 0x7F) << shift
        shift += 7
        if not b & 0x80:
            return result, at


def decode_by_hand(data: bytes) -> dict:
    out = {"wall_time": 0.0, "step": 0}
    for number, wire, value in fields(data):
        if number == 1 and wire == 1:
            out["wall_time"] = struct.unpack("<d", value)[0]
        elif number == 2 and wire == 0:
            out["step"] = value - (1 << 64) if value >= 1 << 63 else value
        elif number == 3 and wire == 2:
            out["file_version"] = value.decode()
        elif number == 7 and wire == 2:
            out["session_log"] = next((v for n, w, v in fields(value) if n == 1 and w == 0), 0)
        elif number == 5 and wire == 2:
            scalars = {}
            for n, w, v in fields(value):
                if n != 1 or w != 2:
                    continue
                tag, simple = None, None
                for vn, vw, vv in fields(v):
                    if vn == 1 and vw == 2:
                        tag = vv.decode()
                    elif vn == 2 and vw == 5:
                        simple = struct.unpack("<f", vv)[0]
                scalars[tag] = simple
            out["scalars"] = scalars
    return out


def main() -> None:
    decode = protobuf_decoder()
    name = "google.protobuf" if decode else "by hand"
    decode = decode or decode_by_hand
    result = []
    for path in sys.argv[1:]:
        result.append({"file": path, "decoder": name, "events": [decode(r) for r in records(path)]})
    print(json.dumps(result))


main()

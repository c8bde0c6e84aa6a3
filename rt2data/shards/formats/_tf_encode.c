/* The compiled tf.train.Example encoder of rt2data (optional; see tf_example.py).

   encode(framed, action_raw, action_tokens, chunk_real, chunk_steps, episode_id, image, image_format, input_ids,
          instruction, key, kind, labels, plan, prompt, source, step, target, template_id) -> bytes

   The arguments are an Example's fields in feature-name order (None: the field is left out). Returns the bytes
   tf_example._encode_fields gives for them: the Features map's entries in that order, each string a one-value
   bytes_list (UTF-8), action_raw a packed float_list (float32, out-of-range values as +-inf, as numpy casts) and
   action_raw_f64 one bytes value (the little-endian float64 array), integers packed int64_list varints (negative
   ones as their 10-byte two's complement). framed=True frames them as one TFRecord record (length, masked CRC-32C
   of the length, data, masked CRC-32C of the data); only where the CPU has CRC-32C instructions (HARDWARE_CRC).

   Anything it does not take as it is (a float or integer field that is not one, an integer beyond int64, a string
   that is not str or does not encode, an image that is not bytes) raises TypeError, ValueError or OverflowError:
   the caller then encodes the example with the Python encoder, which decides. The output is written in two passes
   of the same code: the first counts the bytes, the second writes them into a bytes object of that size. */

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <nmmintrin.h>
#define RT2_X86_CRC 1
#endif

/* ------------------------------------------------------------------------------------------- CRC-32C */

#ifdef RT2_X86_CRC
__attribute__((target("sse4.2"))) static uint32_t crc32c_hw(const unsigned char *p, Py_ssize_t n) {
    uint64_t crc = 0xFFFFFFFFu;
    while (n >= 8) {
        uint64_t v;
        memcpy(&v, p, 8);
        crc = _mm_crc32_u64(crc, v);
        p += 8;
        n -= 8;
    }
    uint32_t c = (uint32_t)crc;
    while (n-- > 0) c = _mm_crc32_u8(c, *p++);
    return c ^ 0xFFFFFFFFu;
}

static uint32_t masked(uint32_t crc) { return ((crc >> 15) | (crc << 17)) + 0xA282EAD8u; }
#endif

static int hardware_crc = 0;

/* ------------------------------------------------------------------------------------------- writing */

typedef struct {
    unsigned char *p; /* NULL while counting */
    Py_ssize_t n;
} W;

static inline void put(W *w, const void *src, Py_ssize_t len) {
    if (w->p) memcpy(w->p + w->n, src, (size_t)len);
    w->n += len;
}

static inline void put_byte(W *w, unsigned char b) {
    if (w->p) w->p[w->n] = b;
    w->n += 1;
}

static inline Py_ssize_t varint_len(uint64_t v) {
    Py_ssize_t n = 1;
    while (v > 0x7F) {
        v >>= 7;
        n++;
    }
    return n;
}

static inline void put_varint(W *w, uint64_t v) {
    while (v > 0x7F) {
        put_byte(w, (unsigned char)((v & 0x7F) | 0x80));
        v >>= 7;
    }
    put_byte(w, (unsigned char)v);
}

/* A map entry up to its Feature message: tag + length of the entry, the key, tag + length of the value. */
static void put_entry_head(W *w, const char *name, Py_ssize_t feature_len) {
    Py_ssize_t name_len = (Py_ssize_t)strlen(name);
    Py_ssize_t key_len = 1 + varint_len((uint64_t)name_len) + name_len;
    Py_ssize_t entry_len = key_len + 1 + varint_len((uint64_t)feature_len) + feature_len;
    put_byte(w, 0x0A);
    put_varint(w, (uint64_t)entry_len);
    put_byte(w, 0x0A);
    put_varint(w, (uint64_t)name_len);
    put(w, name, name_len);
    put_byte(w, 0x12);
    put_varint(w, (uint64_t)feature_len);
}

/* name: bytes_list { value: data } */
static void put_bytes_entry(W *w, const char *name, const char *data, Py_ssize_t n) {
    Py_ssize_t list_len = 1 + varint_len((uint64_t)n) + n;
    put_entry_head(w, name, 1 + varint_len((uint64_t)list_len) + list_len);
    put_byte(w, 0x0A);
    put_varint(w, (uint64_t)list_len);
    put_byte(w, 0x0A);
    put_varint(w, (uint64_t)n);
    put(w, data, n);
}

/* name: <float_list (tag 0x12) | int64_list (tag 0x1A)> { value: packed } (an empty list has no value field);
   the packed payload is written by the caller after this head. */
static void put_packed_head(W *w, const char *name, unsigned char kind_tag, Py_ssize_t packed_len) {
    Py_ssize_t body_len = packed_len ? 1 + varint_len((uint64_t)packed_len) + packed_len : 0;
    put_entry_head(w, name, 1 + varint_len((uint64_t)body_len) + body_len);
    put_byte(w, kind_tag);
    put_varint(w, (uint64_t)body_len);
    if (packed_len) {
        put_byte(w, 0x0A);
        put_varint(w, (uint64_t)packed_len);
    }
}

/* ------------------------------------------------------------------------------------------- fields */

typedef struct {
    const char *s;
    Py_ssize_t n;
    int present;
} Text;

typedef struct {
    int64_t *v;
    Py_ssize_t n;
    int present;
    Py_ssize_t packed_len;
} Ints;

typedef struct {
    double *v;
    Py_ssize_t n;
    int present;
} Floats;

static int get_text(PyObject *obj, Text *t, int optional) {
    t->present = 0;
    if (obj == Py_None && optional) return 0;
    if (!PyUnicode_Check(obj)) {
        PyErr_SetString(PyExc_TypeError, "a text field is not str");
        return -1;
    }
    t->s = PyUnicode_AsUTF8AndSize(obj, &t->n);
    if (t->s == NULL) return -1;
    t->present = 1;
    return 0;
}

static int get_one_int(PyObject *obj, Ints *t, int64_t *slot) {
    t->present = 0;
    if (obj == Py_None) return 0;
    if (!PyLong_Check(obj)) {
        PyErr_SetString(PyExc_TypeError, "an integer field is not int");
        return -1;
    }
    *slot = PyLong_AsLongLong(obj);
    if (*slot == -1 && PyErr_Occurred()) return -1;
    t->v = slot;
    t->n = 1;
    t->packed_len = varint_len((uint64_t)*slot);
    t->present = 1;
    return 0;
}

/* A tuple of ints -> t (the array is PyMem-allocated; freed by the caller). */
static int get_ints(PyObject *obj, Ints *t) {
    t->present = 0;
    t->v = NULL;
    if (obj == Py_None) return 0;
    if (!PyTuple_Check(obj)) {
        PyErr_SetString(PyExc_TypeError, "an integer list is not a tuple");
        return -1;
    }
    Py_ssize_t n = PyTuple_GET_SIZE(obj);
    t->v = PyMem_Malloc(sizeof(int64_t) * (size_t)(n ? n : 1));
    if (t->v == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    t->n = n;
    t->packed_len = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *item = PyTuple_GET_ITEM(obj, i);
        if (!PyLong_Check(item)) {
            PyErr_SetString(PyExc_TypeError, "an integer list holds a value that is not int");
            return -1;
        }
        int64_t v = PyLong_AsLongLong(item);
        if (v == -1 && PyErr_Occurred()) return -1;
        t->v[i] = v;
        t->packed_len += varint_len((uint64_t)v);
    }
    t->present = 1;
    return 0;
}

static int get_floats(PyObject *obj, Floats *t) {
    t->present = 0;
    t->v = NULL;
    if (obj == Py_None) return 0;
    if (!PyTuple_Check(obj)) {
        PyErr_SetString(PyExc_TypeError, "action_raw is not a tuple");
        return -1;
    }
    Py_ssize_t n = PyTuple_GET_SIZE(obj);
    t->v = PyMem_Malloc(sizeof(double) * (size_t)(n ? n : 1));
    if (t->v == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    t->n = n;
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *item = PyTuple_GET_ITEM(obj, i);
        if (!PyFloat_CheckExact(item)) {
            PyErr_SetString(PyExc_TypeError, "action_raw holds a value that is not float");
            return -1;
        }
        t->v[i] = PyFloat_AS_DOUBLE(item);
    }
    t->present = 1;
    return 0;
}

typedef struct {
    Floats action_raw;
    Ints action_tokens, chunk_real, chunk_steps, input_ids, labels, step;
    int64_t chunk_real_v, chunk_steps_v, step_v;
    Text episode_id, image_format, instruction, key, kind, plan, prompt, source, target, template_id;
    const char *image;
    Py_ssize_t image_len;
} Fields;

static void put_ints(W *w, const char *name, const Ints *t) {
    put_packed_head(w, name, 0x1A, t->packed_len);
    for (Py_ssize_t i = 0; i < t->n; i++) put_varint(w, (uint64_t)t->v[i]);
}

static void put_text(W *w, const char *name, const Text *t) {
    if (t->present) put_bytes_entry(w, name, t->s, t->n);
}

/* Little-endian bytes of a value (the host's bytes, reversed on a big-endian host). */
static void put_le(W *w, const void *value, int size) {
#if PY_LITTLE_ENDIAN
    put(w, value, size);
#else
    const unsigned char *v = (const unsigned char *)value;
    for (int i = size - 1; i >= 0; i--) put_byte(w, v[i]);
#endif
}

static void put_float32(W *w, double x) {
    float y = (float)x; /* the cast of numpy's astype("<f4") and of struct's "f": +-inf beyond float32's range */
    put_le(w, &y, 4);
}

static void put_float64(W *w, double x) { put_le(w, &x, 8); }

/* Every entry of the Features map, in feature-name order. */
static void put_entries(W *w, const Fields *f) {
    if (f->action_raw.present) {
        Py_ssize_t n = f->action_raw.n;
        put_packed_head(w, "action_raw", 0x12, 4 * n);
        for (Py_ssize_t i = 0; i < n; i++) put_float32(w, f->action_raw.v[i]);
        Py_ssize_t list_len = 1 + varint_len((uint64_t)(8 * n)) + 8 * n;
        put_entry_head(w, "action_raw_f64", 1 + varint_len((uint64_t)list_len) + list_len);
        put_byte(w, 0x0A);
        put_varint(w, (uint64_t)list_len);
        put_byte(w, 0x0A);
        put_varint(w, (uint64_t)(8 * n));
        for (Py_ssize_t i = 0; i < n; i++) put_float64(w, f->action_raw.v[i]);
    }
    if (f->action_tokens.present) put_ints(w, "action_tokens", &f->action_tokens);
    if (f->chunk_real.present) put_ints(w, "chunk_real", &f->chunk_real);
    if (f->chunk_steps.present) put_ints(w, "chunk_steps", &f->chunk_steps);
    put_text(w, "episode_id", &f->episode_id);
    put_bytes_entry(w, "image", f->image, f->image_len);
    put_text(w, "image_format", &f->image_format);
    if (f->input_ids.present) put_ints(w, "input_ids", &f->input_ids);
    put_text(w, "instruction", &f->instruction);
    put_text(w, "key", &f->key);
    put_text(w, "kind", &f->kind);
    if (f->labels.present) put_ints(w, "labels", &f->labels);
    put_text(w, "plan", &f->plan);
    put_text(w, "prompt", &f->prompt);
    put_text(w, "source", &f->source);
    if (f->step.present) put_ints(w, "step", &f->step);
    put_text(w, "target", &f->target);
    put_text(w, "template_id", &f->template_id);
}

static PyObject *encode(PyObject *module, PyObject *const *args, Py_ssize_t nargs) {
    (void)module;
    if (nargs != 19) {
        PyErr_Format(PyExc_TypeError, "encode takes 19 arguments (%zd given)", nargs);
        return NULL;
    }
    int framed = PyObject_IsTrue(args[0]);
    if (framed < 0) return NULL;
    if (framed && !hardware_crc) {
        PyErr_SetString(PyExc_ValueError, "framed records need the CPU's CRC-32C instructions");
        return NULL;
    }
    Fields f;
    memset(&f, 0, sizeof f);
    PyObject *result = NULL;
    if (get_floats(args[1], &f.action_raw) < 0 || get_ints(args[2], &f.action_tokens) < 0 ||
        get_one_int(args[3], &f.chunk_real, &f.chunk_real_v) < 0 ||
        get_one_int(args[4], &f.chunk_steps, &f.chunk_steps_v) < 0 || get_text(args[5], &f.episode_id, 1) < 0)
        goto done;
    if (!PyBytes_Check(args[6])) {
        PyErr_SetString(PyExc_TypeError, "image is not bytes");
        goto done;
    }
    f.image = PyBytes_AS_STRING(args[6]);
    f.image_len = PyBytes_GET_SIZE(args[6]);
    if (get_text(args[7], &f.image_format, 0) < 0 || get_ints(args[8], &f.input_ids) < 0 ||
        get_text(args[9], &f.instruction, 1) < 0 || get_text(args[10], &f.key, 0) < 0 ||
        get_text(args[11], &f.kind, 0) < 0 || get_ints(args[12], &f.labels) < 0 ||
        get_text(args[13], &f.plan, 1) < 0 || get_text(args[14], &f.prompt, 0) < 0 ||
        get_text(args[15], &f.source, 0) < 0 || get_one_int(args[16], &f.step, &f.step_v) < 0 ||
        get_text(args[17], &f.target, 0) < 0 || get_text(args[18], &f.template_id, 0) < 0)
        goto done;

    W count = {NULL, 0};
    put_entries(&count, &f);
    Py_ssize_t data_len = 1 + varint_len((uint64_t)count.n) + count.n;
    Py_ssize_t total = framed ? data_len + 16 : data_len;
    result = PyBytes_FromStringAndSize(NULL, total);
    if (result == NULL) goto done;
    unsigned char *out = (unsigned char *)PyBytes_AS_STRING(result);
    W w = {framed ? out + 12 : out, 0};
    put_byte(&w, 0x0A);
    put_varint(&w, (uint64_t)count.n);
    put_entries(&w, &f);
    if (w.n != data_len) { /* the two passes disagree: a bug, never bytes */
        Py_CLEAR(result);
        PyErr_SetString(PyExc_SystemError, "tf.train.Example encoder: the counted and written lengths differ");
        goto done;
    }
#ifdef RT2_X86_CRC
    if (framed) {
        uint64_t len = (uint64_t)data_len;
        for (int i = 0; i < 8; i++) out[i] = (unsigned char)(len >> (8 * i));
        uint32_t c = masked(crc32c_hw(out, 8));
        for (int i = 0; i < 4; i++) out[8 + i] = (unsigned char)(c >> (8 * i));
        c = masked(crc32c_hw(out + 12, data_len));
        for (int i = 0; i < 4; i++) out[12 + data_len + i] = (unsigned char)(c >> (8 * i));
    }
#endif
done:
    PyMem_Free(f.action_raw.v);
    PyMem_Free(f.action_tokens.v);
    PyMem_Free(f.input_ids.v);
    PyMem_Free(f.labels.v);
    return result;
}

static PyMethodDef methods[] = {
    {"encode", (PyCFunction)(void (*)(void))encode, METH_FASTCALL,
     "encode(framed, *fields in feature-name order) -> tf.train.Example bytes (framed: one TFRecord record)"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef moduledef = {
    PyModuleDef_HEAD_INIT, "_tf_encode", "The compiled tf.train.Example encoder of rt2data.", -1, methods,
    NULL, NULL, NULL, NULL};

PyMODINIT_FUNC PyInit__tf_encode(void) {
#ifdef RT2_X86_CRC
    __builtin_cpu_init();
    hardware_crc = __builtin_cpu_supports("sse4.2") ? 1 : 0;
#endif
    PyObject *m = PyModule_Create(&moduledef);
    if (m == NULL) return NULL;
    if (PyModule_AddIntConstant(m, "HARDWARE_CRC", hardware_crc) < 0) {
        Py_DECREF(m);
        return NULL;
    }
    return m;
}

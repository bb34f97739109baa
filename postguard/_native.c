/* postguard._native: the statistical checks' feature scoring in C.
 *
 * postguard.statistical scores a post by the features of its lower-cased text (every character, every
 * pair of adjacent Han characters, every word [a-z][a-z0-9']* or digit run, every pair of words with only
 * spaces or tabs between them) and sums each feature's weights once per model. In Python that costs about
 * 150 us per 280-character post, most of it making a string object per feature for a dictionary lookup.
 * Here the features are hashed straight from the text's code points into a table built once per model
 * file, and each feature's weights are added once (a per-call stamp replaces a set).
 *
 * The weights are the same integers (thousandths) as the Python path sums, so both give identical scores;
 * tests/test_statistical.py checks that on every labelled post. The module is optional: without a C
 * compiler postguard falls back to the Python path.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>

typedef struct {
    PyObject_HEAD
    Py_ssize_t n;          /* features */
    int k;                 /* models: weights per feature */
    size_t mask;           /* table capacity - 1 (a power of two) */
    int32_t *slots;        /* open addressing: feature index, or -1 for an empty slot */
    uint64_t *hashes;      /* per feature */
    Py_ssize_t *offsets;   /* per feature, into keys; n + 1 of them */
    Py_UCS4 *keys;         /* every feature's code points, one after another */
    Py_ssize_t longest;    /* the longest feature: anything longer cannot be in the table */
    unsigned char *han_pair;  /* per feature: a pair of Han characters (the only pairs that count) */
    int32_t *weights;      /* n * k, in thousandths */
    uint32_t *stamp;       /* per feature: the call that last counted it */
    uint32_t generation;
} FeatureTable;

static uint64_t
hash_codes(const Py_UCS4 *codes, Py_ssize_t length)
{
    uint64_t h = 1469598103934665603ULL;  /* FNV-1a */
    for (Py_ssize_t i = 0; i < length; i++) {
        h ^= (uint64_t)codes[i];
        h *= 1099511628211ULL;
    }
    return h;
}

static Py_ssize_t
lookup(const FeatureTable *t, const Py_UCS4 *codes, Py_ssize_t length)
{
    if (length > t->longest || t->n == 0)
        return -1;
    uint64_t h = hash_codes(codes, length);
    for (size_t i = (size_t)h & t->mask;; i = (i + 1) & t->mask) {
        int32_t f = t->slots[i];
        if (f < 0)
            return -1;
        if (t->hashes[f] == h && t->offsets[f + 1] - t->offsets[f] == length &&
            memcmp(t->keys + t->offsets[f], codes, (size_t)length * sizeof(Py_UCS4)) == 0)
            return f;
    }
}

static void
table_dealloc(FeatureTable *t)
{
    PyMem_Free(t->slots);
    PyMem_Free(t->hashes);
    PyMem_Free(t->offsets);
    PyMem_Free(t->keys);
    PyMem_Free(t->han_pair);
    PyMem_Free(t->weights);
    PyMem_Free(t->stamp);
    Py_TYPE(t)->tp_free((PyObject *)t);
}

/* FeatureTable(features, weights, k, han_pairs): `features` a sequence of n distinct str, `weights` a bytes
 * of n * k native int32 (feature-major), `han_pairs` a bytes of n flags. */
static PyObject *
table_new(PyTypeObject *type, PyObject *args, PyObject *kwargs)
{
    static char *names[] = {"features", "weights", "k", "han_pairs", NULL};
    PyObject *features;
    Py_buffer weights, han;
    int k;
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "Oy*iy*", names, &features, &weights, &k, &han))
        return NULL;
    FeatureTable *t = NULL;
    PyObject *seq = PySequence_Fast(features, "features must be a sequence of str");
    if (seq == NULL)
        goto fail;
    Py_ssize_t n = PySequence_Fast_GET_SIZE(seq);
    if (k <= 0 || n > INT32_MAX / 2 || weights.len != (Py_ssize_t)(n * k * (Py_ssize_t)sizeof(int32_t)) ||
        han.len != n) {
        PyErr_SetString(PyExc_ValueError, "weights must hold n * k int32 and han_pairs n flags");
        goto fail;
    }
    t = (FeatureTable *)type->tp_alloc(type, 0);
    if (t == NULL)
        goto fail;
    t->n = n;
    t->k = k;
    size_t capacity = 16;
    while (capacity < (size_t)n * 2)
        capacity <<= 1;
    t->mask = capacity - 1;
    Py_ssize_t total = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *s = PySequence_Fast_GET_ITEM(seq, i);
        if (!PyUnicode_Check(s)) {
            PyErr_SetString(PyExc_TypeError, "features must be str");
            goto fail;
        }
        total += PyUnicode_GET_LENGTH(s);
    }
    t->slots = PyMem_Malloc(capacity * sizeof(int32_t));
    t->hashes = PyMem_Malloc((size_t)(n + 1) * sizeof(uint64_t));
    t->offsets = PyMem_Malloc((size_t)(n + 1) * sizeof(Py_ssize_t));
    t->keys = PyMem_Malloc((size_t)(total + 1) * sizeof(Py_UCS4));
    t->han_pair = PyMem_Malloc((size_t)n + 1);
    t->weights = PyMem_Malloc((size_t)(n * k + 1) * sizeof(int32_t));
    t->stamp = PyMem_Calloc((size_t)n + 1, sizeof(uint32_t));
    if (!t->slots || !t->hashes || !t->offsets || !t->keys || !t->han_pair || !t->weights || !t->stamp) {
        PyErr_NoMemory();
        goto fail;
    }
    memset(t->slots, 0xff, capacity * sizeof(int32_t));
    memcpy(t->han_pair, han.buf, (size_t)n);
    memcpy(t->weights, weights.buf, (size_t)weights.len);
    Py_ssize_t at = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *s = PySequence_Fast_GET_ITEM(seq, i);
        Py_ssize_t length = PyUnicode_GET_LENGTH(s);
        if (PyUnicode_AsUCS4(s, t->keys + at, length + 1, 0) == NULL)
            goto fail;
        t->offsets[i] = at;
        t->hashes[i] = hash_codes(t->keys + at, length);
        if (length > t->longest)
            t->longest = length;
        at += length;
        t->offsets[i + 1] = at;
        size_t slot = (size_t)t->hashes[i] & t->mask;
        while (t->slots[slot] >= 0) {
            int32_t f = t->slots[slot];
            if (t->hashes[f] == t->hashes[i] && t->offsets[f + 1] - t->offsets[f] == length &&
                memcmp(t->keys + t->offsets[f], t->keys + at - length, (size_t)length * sizeof(Py_UCS4)) == 0) {
                PyErr_Format(PyExc_ValueError, "feature %R appears twice", s);
                goto fail;
            }
            slot = (slot + 1) & t->mask;
        }
        t->slots[slot] = (int32_t)i;
    }
    Py_DECREF(seq);
    PyBuffer_Release(&weights);
    PyBuffer_Release(&han);
    return (PyObject *)t;
fail:
    Py_XDECREF(seq);
    Py_XDECREF(t);
    PyBuffer_Release(&weights);
    PyBuffer_Release(&han);
    return NULL;
}

static inline void
count(FeatureTable *t, Py_ssize_t f, int64_t *sums)
{
    if (f < 0 || t->stamp[f] == t->generation)
        return;
    t->stamp[f] = t->generation;
    const int32_t *w = t->weights + f * t->k;
    for (int j = 0; j < t->k; j++)
        sums[j] += w[j];
}

static inline int
starts_word(Py_UCS4 c)
{
    return c >= 'a' && c <= 'z';
}

static inline int
continues_word(Py_UCS4 c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '\'';
}

/* scores(lower) -> tuple of k floats: for each model, the sum of the weights of the features present. */
static PyObject *
table_scores(FeatureTable *t, PyObject *arg)
{
    if (!PyUnicode_Check(arg)) {
        PyErr_SetString(PyExc_TypeError, "scores() takes a str");
        return NULL;
    }
    Py_ssize_t n = PyUnicode_GET_LENGTH(arg);
    Py_UCS4 *text = PyUnicode_AsUCS4Copy(arg);
    if (text == NULL)
        return NULL;
    int64_t sums[64];
    if (t->k > 64) {
        PyMem_Free(text);
        PyErr_SetString(PyExc_ValueError, "at most 64 models per file");
        return NULL;
    }
    memset(sums, 0, sizeof(sums));
    if (++t->generation == 0) {  /* wrapped: forget every stamp */
        memset(t->stamp, 0, (size_t)t->n * sizeof(uint32_t));
        t->generation = 1;
    }
    /* every character, and every pair of adjacent Han characters */
    for (Py_ssize_t i = 0; i < n; i++) {
        count(t, lookup(t, text + i, 1), sums);
        if (i + 1 < n) {
            Py_ssize_t f = lookup(t, text + i, 2);
            if (f >= 0 && t->han_pair[f])
                count(t, f, sums);
        }
    }
    /* words and digit runs, and pairs of them with only spaces or tabs between */
    Py_UCS4 buffer[128];
    Py_ssize_t last_start = -1, last_end = -1;
    for (Py_ssize_t i = 0; i < n;) {
        Py_UCS4 c = text[i];
        Py_ssize_t j = i + 1;
        if (starts_word(c)) {
            while (j < n && continues_word(text[j]))
                j++;
        }
        else if (Py_UNICODE_ISDECIMAL(c)) {
            while (j < n && Py_UNICODE_ISDECIMAL(text[j]))
                j++;
        }
        else {
            i++;
            continue;
        }
        count(t, lookup(t, text + i, j - i), sums);
        if (last_end >= 0 && last_end < i) {
            Py_ssize_t g = last_end;
            while (g < i && (text[g] == ' ' || text[g] == '\t'))
                g++;
            Py_ssize_t pair = (last_end - last_start) + 1 + (j - i);
            if (g == i && pair <= t->longest) {
                Py_UCS4 *joined = pair <= 128 ? buffer : PyMem_Malloc((size_t)pair * sizeof(Py_UCS4));
                if (joined == NULL) {
                    PyMem_Free(text);
                    return PyErr_NoMemory();
                }
                memcpy(joined, text + last_start, (size_t)(last_end - last_start) * sizeof(Py_UCS4));
                joined[last_end - last_start] = ' ';
                memcpy(joined + (last_end - last_start) + 1, text + i, (size_t)(j - i) * sizeof(Py_UCS4));
                count(t, lookup(t, joined, pair), sums);
                if (joined != buffer)
                    PyMem_Free(joined);
            }
        }
        last_start = i;
        last_end = j;
        i = j;
    }
    PyMem_Free(text);
    PyObject *result = PyTuple_New(t->k);
    if (result == NULL)
        return NULL;
    for (int j = 0; j < t->k; j++) {
        PyObject *value = PyFloat_FromDouble((double)sums[j] / 1000.0);
        if (value == NULL) {
            Py_DECREF(result);
            return NULL;
        }
        PyTuple_SET_ITEM(result, j, value);
    }
    return result;
}

static PyMethodDef table_methods[] = {
    {"scores", (PyCFunction)table_scores, METH_O,
     "scores(lower) -> per model, the sum of the weights (in units) of the features of `lower`"},
    {NULL, NULL, 0, NULL},
};

static PyTypeObject FeatureTableType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "postguard._native.FeatureTable",
    .tp_basicsize = sizeof(FeatureTable),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "A model file's features and weights, for scoring texts (see postguard.statistical).",
    .tp_new = table_new,
    .tp_dealloc = (destructor)table_dealloc,
    .tp_methods = table_methods,
};

static struct PyModuleDef native_module = {
    PyModuleDef_HEAD_INIT, "postguard._native", "postguard's optional C speed-ups.", -1, NULL,
};

PyMODINIT_FUNC
PyInit__native(void)
{
    if (PyType_Ready(&FeatureTableType) < 0)
        return NULL;
    PyObject *m = PyModule_Create(&native_module);
    if (m == NULL)
        return NULL;
    Py_INCREF(&FeatureTableType);
    if (PyModule_AddObject(m, "FeatureTable", (PyObject *)&FeatureTableType) < 0) {
        Py_DECREF(&FeatureTableType);
        Py_DECREF(m);
        return NULL;
    }
    return m;
}

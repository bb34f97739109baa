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

/* ---- Literals: which of many literal strings occur in a text ----
 *
 * The regex prefilter (postguard.policy.compiler) gives every regex clauses of literals, one of which
 * must occur in a segment before the regex can match. A post has about 200 occurrences of the 8,000
 * literals; collecting their clauses through Python objects cost 50-80 us a post. Here the literals are
 * indexed by their first one or two code points, so a text is scanned once, position by position, and
 * each occurrence marks its clauses in a byte array.
 */
typedef struct {
    PyObject_HEAD
    Py_ssize_t n;            /* literals */
    Py_ssize_t *offsets;     /* into codes, n + 1 */
    Py_UCS4 *codes;
    size_t mask;             /* bucket table capacity - 1 */
    uint64_t *bucket_keys;   /* the first code point (single) or first two (longer), or EMPTY */
    Py_ssize_t *bucket_start;  /* into order */
    Py_ssize_t *bucket_count;
    Py_ssize_t *order;       /* literal indexes grouped by bucket */
    Py_ssize_t n_groups;
    Py_ssize_t *group_offsets;  /* per literal, into groups: the groups (clauses) it belongs to */
    int32_t *groups;
} Literals;

#define EMPTY_KEY UINT64_MAX

static uint64_t
literal_key(const Py_UCS4 *codes, Py_ssize_t length)
{
    /* code points are below 2**21: a single one and a pair never share a key */
    return length == 1 ? ((uint64_t)codes[0] << 32) | 0xFFFFFFFFULL : ((uint64_t)codes[0] << 32) | codes[1];
}

static Py_ssize_t
find_bucket(const Literals *t, uint64_t key)
{
    for (size_t i = (size_t)((key * 0x9E3779B97F4A7C15ULL) >> 20) & t->mask;; i = (i + 1) & t->mask) {
        if (t->bucket_keys[i] == key)
            return (Py_ssize_t)i;
        if (t->bucket_keys[i] == EMPTY_KEY)
            return -1 - (Py_ssize_t)i;  /* where it would go */
    }
}

static void
literals_dealloc(Literals *t)
{
    PyMem_Free(t->offsets);
    PyMem_Free(t->codes);
    PyMem_Free(t->bucket_keys);
    PyMem_Free(t->bucket_start);
    PyMem_Free(t->bucket_count);
    PyMem_Free(t->order);
    PyMem_Free(t->group_offsets);
    PyMem_Free(t->groups);
    Py_TYPE(t)->tp_free((PyObject *)t);
}

/* Literals(words, groups, n_groups): `words` a sequence of non-empty str, `groups` a sequence (one per
 * word) of sequences of group numbers below n_groups. */
static PyObject *
literals_new(PyTypeObject *type, PyObject *args, PyObject *kwargs)
{
    static char *names[] = {"words", "groups", "n_groups", NULL};
    PyObject *words_arg, *groups_arg;
    Py_ssize_t n_groups;
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "OOn", names, &words_arg, &groups_arg, &n_groups))
        return NULL;
    Literals *t = NULL;
    PyObject *words = NULL, *groups = NULL;
    words = PySequence_Fast(words_arg, "words must be a sequence of str");
    if (words == NULL)
        goto fail;
    groups = PySequence_Fast(groups_arg, "groups must be a sequence");
    if (groups == NULL)
        goto fail;
    Py_ssize_t n = PySequence_Fast_GET_SIZE(words);
    if (PySequence_Fast_GET_SIZE(groups) != n || n_groups < 0) {
        PyErr_SetString(PyExc_ValueError, "one group list per word, and n_groups >= 0");
        goto fail;
    }
    t = (Literals *)type->tp_alloc(type, 0);
    if (t == NULL)
        goto fail;
    t->n = n;
    t->n_groups = n_groups;
    Py_ssize_t total = 0, total_groups = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *w = PySequence_Fast_GET_ITEM(words, i);
        PyObject *g = PySequence_Fast_GET_ITEM(groups, i);
        if (!PyUnicode_Check(w) || PyUnicode_GET_LENGTH(w) == 0) {
            PyErr_SetString(PyExc_ValueError, "words must be non-empty str");
            goto fail;
        }
        Py_ssize_t size = PySequence_Size(g);
        if (size < 0)
            goto fail;
        total += PyUnicode_GET_LENGTH(w);
        total_groups += size;
    }
    size_t capacity = 16;
    while (capacity < (size_t)n * 2)
        capacity <<= 1;
    t->mask = capacity - 1;
    t->offsets = PyMem_Malloc((size_t)(n + 1) * sizeof(Py_ssize_t));
    t->codes = PyMem_Malloc((size_t)(total + 1) * sizeof(Py_UCS4));
    t->bucket_keys = PyMem_Malloc(capacity * sizeof(uint64_t));
    t->bucket_start = PyMem_Calloc(capacity, sizeof(Py_ssize_t));
    t->bucket_count = PyMem_Calloc(capacity, sizeof(Py_ssize_t));
    t->order = PyMem_Malloc((size_t)(n + 1) * sizeof(Py_ssize_t));
    t->group_offsets = PyMem_Malloc((size_t)(n + 1) * sizeof(Py_ssize_t));
    t->groups = PyMem_Malloc((size_t)(total_groups + 1) * sizeof(int32_t));
    Py_ssize_t *bucket_of = PyMem_Malloc((size_t)(n + 1) * sizeof(Py_ssize_t));
    if (!t->offsets || !t->codes || !t->bucket_keys || !t->bucket_start || !t->bucket_count || !t->order ||
        !t->group_offsets || !t->groups || !bucket_of) {
        PyMem_Free(bucket_of);
        PyErr_NoMemory();
        goto fail;
    }
    memset(t->bucket_keys, 0xff, capacity * sizeof(uint64_t));
    Py_ssize_t at = 0, at_group = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *w = PySequence_Fast_GET_ITEM(words, i);
        Py_ssize_t length = PyUnicode_GET_LENGTH(w);
        if (PyUnicode_AsUCS4(w, t->codes + at, length + 1, 0) == NULL) {
            PyMem_Free(bucket_of);
            goto fail;
        }
        t->offsets[i] = at;
        Py_ssize_t b = find_bucket(t, literal_key(t->codes + at, length));
        if (b < 0) {
            b = -1 - b;
            t->bucket_keys[b] = literal_key(t->codes + at, length);
        }
        t->bucket_count[b]++;
        bucket_of[i] = b;
        at += length;
        t->group_offsets[i] = at_group;
        PyObject *g = PySequence_Fast(PySequence_Fast_GET_ITEM(groups, i), "groups must be sequences");
        if (g == NULL) {
            PyMem_Free(bucket_of);
            goto fail;
        }
        for (Py_ssize_t j = 0; j < PySequence_Fast_GET_SIZE(g); j++) {
            Py_ssize_t number = PyLong_AsSsize_t(PySequence_Fast_GET_ITEM(g, j));
            if (number < 0 || number >= n_groups) {
                Py_DECREF(g);
                PyMem_Free(bucket_of);
                if (!PyErr_Occurred())
                    PyErr_SetString(PyExc_ValueError, "a group number is out of range");
                goto fail;
            }
            t->groups[at_group++] = (int32_t)number;
        }
        Py_DECREF(g);
    }
    t->offsets[n] = at;
    t->group_offsets[n] = at_group;
    Py_ssize_t start = 0;
    for (size_t b = 0; b < capacity; b++) {
        t->bucket_start[b] = start;
        start += t->bucket_count[b];
        t->bucket_count[b] = 0;  /* refilled below */
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        Py_ssize_t b = bucket_of[i];
        t->order[t->bucket_start[b] + t->bucket_count[b]++] = i;
    }
    PyMem_Free(bucket_of);
    Py_DECREF(words);
    Py_DECREF(groups);
    return (PyObject *)t;
fail:
    Py_XDECREF(words);
    Py_XDECREF(groups);
    Py_XDECREF(t);
    return NULL;
}

/* Calls found(word index, end) for every occurrence of every word in text[lo:hi), in order of start. */
#define FOR_EACH_OCCURRENCE(t, text, lo, hi, found)                                                  \
    for (Py_ssize_t pos = (lo); pos < (hi); pos++) {                                                 \
        for (int width = 1; width <= 2 && pos + width <= (hi); width++) {                            \
            Py_ssize_t b = find_bucket((t), literal_key((text) + pos, width));                       \
            if (b < 0)                                                                               \
                continue;                                                                            \
            const Py_ssize_t *words = (t)->order + (t)->bucket_start[b];                             \
            for (Py_ssize_t k = 0; k < (t)->bucket_count[b]; k++) {                                  \
                Py_ssize_t w = words[k];                                                             \
                Py_ssize_t length = (t)->offsets[w + 1] - (t)->offsets[w];                           \
                if ((width == 1) != (length == 1) || pos + length > (hi))                            \
                    continue;                                                                        \
                if (length > 2 && memcmp((t)->codes + (t)->offsets[w] + 2, (text) + pos + 2,         \
                                         (size_t)(length - 2) * sizeof(Py_UCS4)) != 0)               \
                    continue;                                                                        \
                found(w, pos + length);                                                              \
            }                                                                                        \
        }                                                                                            \
    }

/* groups_found(text) -> bytes with a 1 for every group that a word occurring in `text` belongs to. */
static PyObject *
literals_groups_found(Literals *t, PyObject *arg)
{
    if (!PyUnicode_Check(arg)) {
        PyErr_SetString(PyExc_TypeError, "groups_found() takes a str");
        return NULL;
    }
    Py_ssize_t n = PyUnicode_GET_LENGTH(arg);
    Py_UCS4 *text = PyUnicode_AsUCS4Copy(arg);
    if (text == NULL)
        return NULL;
    PyObject *result = PyBytes_FromStringAndSize(NULL, t->n_groups);
    if (result == NULL) {
        PyMem_Free(text);
        return NULL;
    }
    char *flags = PyBytes_AS_STRING(result);
    memset(flags, 0, (size_t)t->n_groups);
#define MARK_GROUPS(w, end)                                                         \
    for (Py_ssize_t g = t->group_offsets[w]; g < t->group_offsets[(w) + 1]; g++) \
        flags[t->groups[g]] = 1;
    FOR_EACH_OCCURRENCE(t, text, 0, n, MARK_GROUPS)
#undef MARK_GROUPS
    PyMem_Free(text);
    return result;
}

/* all_met(flags, needs) -> list of the indexes i for which every group in needs[i] is set in flags. */
static PyObject *
literals_all_met(PyObject *module, PyObject *args)
{
    Py_buffer flags;
    PyObject *needs;
    if (!PyArg_ParseTuple(args, "y*O!", &flags, &PyTuple_Type, &needs))
        return NULL;
    PyObject *result = PyList_New(0);
    const char *set = flags.buf;
    for (Py_ssize_t i = 0; result != NULL && i < PyTuple_GET_SIZE(needs); i++) {
        PyObject *need = PyTuple_GET_ITEM(needs, i);
        if (!PyTuple_Check(need)) {
            PyErr_SetString(PyExc_TypeError, "needs must be a tuple of tuples of int");
            Py_CLEAR(result);
            break;
        }
        int met = 1;
        for (Py_ssize_t j = 0; met && j < PyTuple_GET_SIZE(need); j++) {
            Py_ssize_t g = PyLong_AsSsize_t(PyTuple_GET_ITEM(need, j));
            if (g < 0 || g >= flags.len) {
                if (!PyErr_Occurred())
                    PyErr_SetString(PyExc_ValueError, "a group number is out of range");
                Py_CLEAR(result);
                break;
            }
            met = set[g] != 0;
        }
        if (result == NULL)
            break;
        if (met) {
            PyObject *index = PyLong_FromSsize_t(i);
            if (index == NULL || PyList_Append(result, index) < 0)
                Py_CLEAR(result);
            Py_XDECREF(index);
        }
    }
    PyBuffer_Release(&flags);
    return result;
}

static PyMethodDef literals_methods[] = {
    {"groups_found", (PyCFunction)literals_groups_found, METH_O,
     "groups_found(text) -> bytes: 1 for each group that a word found in `text` belongs to"},
    {NULL, NULL, 0, NULL},
};

static PyTypeObject LiteralsType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "postguard._native.Literals",
    .tp_basicsize = sizeof(Literals),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "Many literal strings, each in groups, found together in one pass over a text.",
    .tp_new = literals_new,
    .tp_dealloc = (destructor)literals_dealloc,
    .tp_methods = literals_methods,
};

static PyMethodDef module_functions[] = {
    {"all_met", literals_all_met, METH_VARARGS,
     "all_met(flags, needs) -> indexes of the entries of `needs` whose groups are all set in `flags`"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef native_module = {
    PyModuleDef_HEAD_INIT, "postguard._native", "postguard's optional C speed-ups.", -1, module_functions,
};

PyMODINIT_FUNC
PyInit__native(void)
{
    if (PyType_Ready(&FeatureTableType) < 0 || PyType_Ready(&LiteralsType) < 0)
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
    Py_INCREF(&LiteralsType);
    if (PyModule_AddObject(m, "Literals", (PyObject *)&LiteralsType) < 0) {
        Py_DECREF(&LiteralsType);
        Py_DECREF(m);
        return NULL;
    }
    return m;
}

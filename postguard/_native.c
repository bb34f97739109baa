/* postguard._native: optional C speed-ups, each giving exactly what its pure-Python counterpart gives
 * (tests/test_native.py and tests/test_statistical.py compare them on every labelled post). In this order:
 * FeatureTable (statistical scoring), Literals (many literal strings in one pass: keywords, context words,
 * prefilter clauses, regex start words), regex_spans (the loop over a segment's regexes), CharMap and
 * han_and_latin_words (text preparation). Without a C compiler postguard runs the Python path.
 *
 * First, the statistical checks' feature scoring. postguard.statistical scores a post by the features of
 * its lower-cased text (every character, every pair of adjacent Han characters, every word [a-z][a-z0-9']*
 * or digit run, every pair of words with only spaces or tabs between them) and sums each feature's weights
 * once per model. In Python that costs about 150 us per 280-character post, most of it making a string
 * object per feature for a dictionary lookup. Here the features are hashed straight from the text's code
 * points into a table built once per model file, and each feature's weights are added once (a per-call
 * stamp replaces a set). The weights are the same integers (thousandths) as the Python path sums, so both
 * give identical scores.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>

/* The table is read for every character, pair and word of every post, so it is laid out for few cache
 * misses: a slot holds a feature's index and 32 bits of its hash (most absent features cost one read),
 * and a feature's record holds everything a hit needs (its stamp, its first two code points, its weights). */
typedef struct {
    uint32_t tag;          /* the hash's upper half */
    int32_t feature;       /* -1: empty */
} Slot;

enum { R_STAMP, R_OFFSET, R_LENGTH, R_HAN, R_CODE0, R_CODE1, R_WEIGHTS };  /* int32 fields of a record */

typedef struct {
    PyObject_HEAD
    Py_ssize_t n;          /* features */
    int k;                 /* models: weights per feature */
    size_t mask;           /* slots - 1 (a power of two) */
    Slot *slots;
    int32_t *records;      /* n records of R_WEIGHTS + k int32: weights in thousandths */
    Py_UCS4 *keys;         /* every feature's code points, one after another (R_OFFSET points here) */
    Py_ssize_t longest;    /* the longest feature: anything longer cannot be in the table */
    uint32_t generation;   /* this call's stamp */
} FeatureTable;

static uint64_t
hash_codes(const Py_UCS4 *codes, Py_ssize_t length)
{
    uint64_t h = 1469598103934665603ULL;  /* FNV-1a, then a final mix so that the low bits spread */
    for (Py_ssize_t i = 0; i < length; i++) {
        h ^= (uint64_t)codes[i];
        h *= 1099511628211ULL;
    }
    h ^= h >> 29;
    h *= 0xBF58476D1CE4E5B9ULL;
    return h ^ (h >> 32);
}

static inline int32_t *
record(const FeatureTable *t, Py_ssize_t f)
{
    return t->records + f * (R_WEIGHTS + t->k);
}

static int
same_key(const FeatureTable *t, const int32_t *r, const Py_UCS4 *codes, Py_ssize_t length)
{
    if (r[R_LENGTH] != length)
        return 0;
    if (length <= 2)
        return (Py_UCS4)r[R_CODE0] == codes[0] && (length == 1 || (Py_UCS4)r[R_CODE1] == codes[1]);
    return memcmp(t->keys + r[R_OFFSET], codes, (size_t)length * sizeof(Py_UCS4)) == 0;
}

static Py_ssize_t
lookup(const FeatureTable *t, const Py_UCS4 *codes, Py_ssize_t length)
{
    if (length > t->longest || t->n == 0)
        return -1;
    uint64_t h = hash_codes(codes, length);
    uint32_t tag = (uint32_t)(h >> 32);
    for (size_t i = (size_t)h & t->mask;; i = (i + 1) & t->mask) {
        int32_t f = t->slots[i].feature;
        if (f < 0)
            return -1;
        if (t->slots[i].tag == tag && same_key(t, record(t, f), codes, length))
            return f;
    }
}

static void
table_dealloc(FeatureTable *t)
{
    PyMem_Free(t->slots);
    PyMem_Free(t->records);
    PyMem_Free(t->keys);
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
    if (k <= 0 || k > 64 || n > INT32_MAX / 2 ||
        weights.len != (Py_ssize_t)(n * k * (Py_ssize_t)sizeof(int32_t)) || han.len != n) {
        PyErr_SetString(PyExc_ValueError, "weights must hold n * k int32 (1 <= k <= 64) and han_pairs n flags");
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
    if (total > INT32_MAX) {
        PyErr_SetString(PyExc_ValueError, "features too long");
        goto fail;
    }
    t->slots = PyMem_Malloc(capacity * sizeof(Slot));
    t->records = PyMem_Calloc((size_t)n * (R_WEIGHTS + (size_t)k) + 1, sizeof(int32_t));
    t->keys = PyMem_Malloc((size_t)(total + 1) * sizeof(Py_UCS4));
    if (!t->slots || !t->records || !t->keys) {
        PyErr_NoMemory();
        goto fail;
    }
    for (size_t i = 0; i < capacity; i++)
        t->slots[i].feature = -1;
    const int32_t *w = weights.buf;
    const unsigned char *han_flags = han.buf;
    Py_ssize_t at = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *s = PySequence_Fast_GET_ITEM(seq, i);
        Py_ssize_t length = PyUnicode_GET_LENGTH(s);
        Py_UCS4 *codes = t->keys + at;
        if (PyUnicode_AsUCS4(s, codes, length + 1, 0) == NULL)
            goto fail;
        if (lookup(t, codes, length) >= 0) {
            PyErr_Format(PyExc_ValueError, "feature %R appears twice", s);
            goto fail;
        }
        int32_t *r = record(t, i);
        r[R_OFFSET] = (int32_t)at;
        r[R_LENGTH] = (int32_t)length;
        r[R_HAN] = han_flags[i] != 0;
        r[R_CODE0] = length > 0 ? (int32_t)codes[0] : 0;
        r[R_CODE1] = length > 1 ? (int32_t)codes[1] : 0;
        memcpy(r + R_WEIGHTS, w + i * k, (size_t)k * sizeof(int32_t));
        uint64_t h = hash_codes(codes, length);
        size_t slot = (size_t)h & t->mask;
        while (t->slots[slot].feature >= 0)
            slot = (slot + 1) & t->mask;
        t->slots[slot].tag = (uint32_t)(h >> 32);
        t->slots[slot].feature = (int32_t)i;
        if (length > t->longest)
            t->longest = length;
        at += length;
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

/* Adds feature f's weights to sums, once per call (only those above zero with positive_only). */
static inline void
count(FeatureTable *t, Py_ssize_t f, int han_pair_only, int positive_only, int64_t *sums)
{
    if (f < 0)
        return;
    int32_t *r = record(t, f);
    if ((uint32_t)r[R_STAMP] == t->generation || (han_pair_only && !r[R_HAN]))
        return;
    r[R_STAMP] = (int32_t)t->generation;
    for (int j = 0; j < t->k; j++)
        if (!positive_only || r[R_WEIGHTS + j] > 0)
            sums[j] += r[R_WEIGHTS + j];
}

/* str.isdecimal() of one character, without the Unicode database for ASCII (most characters of a post) */
static inline int
is_decimal(Py_UCS4 c)
{
    return c < 128 ? c >= '0' && c <= '9' : Py_UNICODE_ISDECIMAL(c);
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

/* Adds up, per model, the weights (in thousandths) of the features of `arg`, each feature once. */
static int
sum_features(FeatureTable *t, PyObject *arg, int positive_only, int64_t *sums)
{
    if (!PyUnicode_Check(arg)) {
        PyErr_SetString(PyExc_TypeError, "a FeatureTable scores a str");
        return -1;
    }
    Py_ssize_t n = PyUnicode_GET_LENGTH(arg);
    Py_UCS4 *text = PyUnicode_AsUCS4Copy(arg);
    if (text == NULL)
        return -1;
    memset(sums, 0, 64 * sizeof(int64_t));
    if (++t->generation == 0) {  /* wrapped: forget every stamp */
        for (Py_ssize_t f = 0; f < t->n; f++)
            record(t, f)[R_STAMP] = 0;
        t->generation = 1;
    }
    /* every character, and every pair of adjacent Han characters (the Han script begins at U+2E80: a pair
     * with anything below it is not looked up, which spares English text half its lookups) */
    for (Py_ssize_t i = 0; i < n; i++) {
        count(t, lookup(t, text + i, 1), 0, positive_only, sums);
        if (i + 1 < n && text[i] >= 0x2E80 && text[i + 1] >= 0x2E80)
            count(t, lookup(t, text + i, 2), 1, positive_only, sums);
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
        else if (is_decimal(c)) {
            while (j < n && is_decimal(text[j]))
                j++;
        }
        else {
            i++;
            continue;
        }
        count(t, lookup(t, text + i, j - i), 0, positive_only, sums);
        if (last_end >= 0 && last_end < i) {
            Py_ssize_t g = last_end;
            while (g < i && (text[g] == ' ' || text[g] == '\t'))
                g++;
            Py_ssize_t pair = (last_end - last_start) + 1 + (j - i);
            if (g == i && pair <= t->longest) {
                Py_UCS4 *joined = pair <= 128 ? buffer : PyMem_Malloc((size_t)pair * sizeof(Py_UCS4));
                if (joined == NULL) {
                    PyMem_Free(text);
                    PyErr_NoMemory();
                    return -1;
                }
                memcpy(joined, text + last_start, (size_t)(last_end - last_start) * sizeof(Py_UCS4));
                joined[last_end - last_start] = ' ';
                memcpy(joined + (last_end - last_start) + 1, text + i, (size_t)(j - i) * sizeof(Py_UCS4));
                count(t, lookup(t, joined, pair), 0, positive_only, sums);
                if (joined != buffer)
                    PyMem_Free(joined);
            }
        }
        last_start = i;
        last_end = j;
        i = j;
    }
    PyMem_Free(text);
    return 0;
}

/* The per-model sums as a tuple: of floats (weights) or of ints (thousandths). */
static PyObject *
sums_tuple(const int64_t *sums, int k, int in_thousandths)
{
    PyObject *result = PyTuple_New(k);
    for (int j = 0; result != NULL && j < k; j++) {
        PyObject *value = in_thousandths ? PyLong_FromLongLong(sums[j]) : PyFloat_FromDouble((double)sums[j] / 1000.0);
        if (value == NULL)
            Py_CLEAR(result);
        else
            PyTuple_SET_ITEM(result, j, value);
    }
    return result;
}

/* scores(lower) -> tuple of k floats: for each model, the sum of the weights of the features present. */
static PyObject *
table_scores(FeatureTable *t, PyObject *arg)
{
    int64_t sums[64];
    return sum_features(t, arg, 0, sums) < 0 ? NULL : sums_tuple(sums, t->k, 0);
}

/* positive_units(lower) -> tuple of k ints: for each model, the sum of the weights above zero of the
 * features present, in thousandths (how much a sentence speaks for a category). */
static PyObject *
table_positive_units(FeatureTable *t, PyObject *arg)
{
    int64_t sums[64];
    return sum_features(t, arg, 1, sums) < 0 ? NULL : sums_tuple(sums, t->k, 1);
}

static PyMethodDef table_methods[] = {
    {"positive_units", (PyCFunction)table_positive_units, METH_O,
     "positive_units(lower) -> per model, the sum of the positive weights (thousandths) of its features"},
    {"scores", (PyCFunction)table_scores, METH_O,
     "scores(lower) -> per model, the sum of the weights of the features of `lower`"},
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
    uint64_t key;          /* the first code point (single) or first two (longer words); EMPTY_KEY: free */
    int32_t start;         /* into entries */
    int32_t count;
} Bucket;

typedef struct {
    int32_t length;
    int32_t word;          /* its index in the constructor's list */
    int32_t codes;         /* into codes: the word, in bucket order so that a bucket is read in one sweep */
    int32_t third;         /* its third code point, or -1: a bucket is sorted on it (see entry_order) */
} Entry;

typedef struct {
    PyObject_HEAD
    Py_ssize_t n;            /* words */
    size_t mask;             /* buckets - 1 (a power of two) */
    Bucket *buckets;
    Entry *entries;
    Py_UCS4 *codes;
    Py_ssize_t n_groups;
    Py_ssize_t record_from;  /* groups from this number on also have their start positions reported */
    int32_t *group_offsets;  /* per word, into groups: the groups (clauses) it belongs to */
    int32_t *groups;
    PyObject *values;        /* a tuple, one per word, that occurrences() reports instead of word indexes */
    uint8_t *firsts;         /* a bit per hash of every word's first code point: most positions of a text start
                              * no word, and this small filter says so without a probe into the buckets */
    int first_shift;         /* 32 - log2(the filter's bits) */
    uint8_t *keys;           /* a bit per hash of every bucket key (a word of one code point, or the first two of
                              * a longer one): finer than `firsts`, for a large table, whose buckets a probe
                              * would mostly fetch from memory (scan() of a whole post) */
    int key_shift;           /* 64 - log2(the filter's bits) */
    int32_t *recorded;       /* scratch for scan(), per recorded group: its last start (then where its next
                              * start goes in the packed starts), then how many starts */
    uint8_t *reported;       /* per word, 1 when scan() also reports where it occurs: its value is not None */
} Literals;

static inline uint32_t
first_hash(Py_UCS4 c, int shift)
{
    return (uint32_t)(c * 0x9E3779B1u) >> shift;
}

#define EMPTY_KEY UINT64_MAX

/* The bit of a bucket key in the filter of keys (`shift`: 64 - log2 of its bits). */
static inline uint64_t
key_bit(uint64_t key, int shift)
{
    return (key * 0xD6E8FEB86659FD93ULL) >> shift;
}

static inline int
may_have_key(const uint8_t *filter, int shift, uint64_t key)
{
    uint64_t h = key_bit(key, shift);
    return (filter[h >> 3] >> (h & 7)) & 1;
}

static uint64_t
literal_key(const Py_UCS4 *codes, Py_ssize_t length)
{
    /* code points are below 2**21: a single one and a pair never share a key */
    return length == 1 ? ((uint64_t)codes[0] << 32) | 0xFFFFFFFFULL : ((uint64_t)codes[0] << 32) | codes[1];
}

/* The bucket holding `key`, or where it would go: -1 - that slot. */
static Py_ssize_t
find_bucket(const Bucket *buckets, size_t mask, uint64_t key)
{
    for (size_t i = (size_t)((key * 0x9E3779B97F4A7C15ULL) >> 29) & mask;; i = (i + 1) & mask) {
        if (buckets[i].key == key)
            return (Py_ssize_t)i;
        if (buckets[i].key == EMPTY_KEY)
            return -1 - (Py_ssize_t)i;
    }
}

static const Py_UCS4 *sorting_codes;  /* for entry_order: set just before sorting (the GIL is held) */

static int
entry_order(const void *a, const void *b)
{
    const Entry *x = a, *y = b;
    if ((x->length > 2) != (y->length > 2))
        return x->length > 2 ? 1 : -1;
    Py_ssize_t shorter = x->length < y->length ? x->length : y->length;
    for (Py_ssize_t i = 2; i < shorter; i++) {
        Py_UCS4 p = sorting_codes[x->codes + i], q = sorting_codes[y->codes + i];
        if (p != q)
            return p < q ? -1 : 1;
    }
    return (x->length > y->length) - (x->length < y->length);
}

static void
literals_dealloc(Literals *t)
{
    PyMem_Free(t->buckets);
    PyMem_Free(t->entries);
    PyMem_Free(t->codes);
    PyMem_Free(t->group_offsets);
    PyMem_Free(t->groups);
    PyMem_Free(t->firsts);
    PyMem_Free(t->keys);
    PyMem_Free(t->recorded);
    PyMem_Free(t->reported);
    Py_XDECREF(t->values);
    Py_TYPE(t)->tp_free((PyObject *)t);
}

static Bucket *
new_buckets(size_t capacity)
{
    Bucket *buckets = PyMem_Malloc(capacity * sizeof(Bucket));
    if (buckets != NULL)
        for (size_t i = 0; i < capacity; i++) {
            buckets[i].key = EMPTY_KEY;
            buckets[i].start = buckets[i].count = 0;
        }
    return buckets;
}

/* Literals(words, groups, n_groups, record_from=n_groups, values=None): `words` a sequence of non-empty str,
 * `groups` a sequence (one per word) of sequences of group numbers below n_groups. scan() reports where
 * the words of groups numbered record_from or more start; occurrences() reports values[word] (a sequence
 * as long as words) instead of the word's index when they are given, and scan() reports the occurrences
 * of the words whose value is not None. */
static PyObject *
literals_new(PyTypeObject *type, PyObject *args, PyObject *kwargs)
{
    static char *names[] = {"words", "groups", "n_groups", "record_from", "values", NULL};
    PyObject *words_arg, *groups_arg, *values_arg = Py_None;
    Py_ssize_t n_groups, record_from = -1;
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "OOn|nO", names, &words_arg, &groups_arg, &n_groups,
                                     &record_from, &values_arg))
        return NULL;
    Literals *t = NULL;
    PyObject *words = NULL, *groups = NULL;
    Py_UCS4 *flat = NULL;            /* the words in their own order */
    Py_ssize_t *flat_offsets = NULL;
    Bucket *draft = NULL;            /* buckets sized for the words, before the distinct keys are known */
    words = PySequence_Fast(words_arg, "words must be a sequence of str");
    if (words == NULL)
        goto fail;
    groups = PySequence_Fast(groups_arg, "groups must be a sequence");
    if (groups == NULL)
        goto fail;
    Py_ssize_t n = PySequence_Fast_GET_SIZE(words);
    if (PySequence_Fast_GET_SIZE(groups) != n || n_groups < 0 || n > INT32_MAX / 4) {
        PyErr_SetString(PyExc_ValueError, "one group list per word, and n_groups >= 0");
        goto fail;
    }
    t = (Literals *)type->tp_alloc(type, 0);
    if (t == NULL)
        goto fail;
    t->n = n;
    t->n_groups = n_groups;
    t->record_from = record_from < 0 || record_from > n_groups ? n_groups : record_from;
    if (values_arg != Py_None) {
        t->values = PySequence_Tuple(values_arg);
        if (t->values == NULL)
            goto fail;
        if (PyTuple_GET_SIZE(t->values) != n) {
            PyErr_SetString(PyExc_ValueError, "one value per word");
            goto fail;
        }
        t->reported = PyMem_Malloc((size_t)n + 1);
        if (t->reported == NULL) {
            PyErr_NoMemory();
            goto fail;
        }
        for (Py_ssize_t i = 0; i < n; i++)
            t->reported[i] = PyTuple_GET_ITEM(t->values, i) != Py_None;
    }
    Py_ssize_t total = 0, total_groups = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *w = PySequence_Fast_GET_ITEM(words, i);
        if (!PyUnicode_Check(w) || PyUnicode_GET_LENGTH(w) == 0) {
            PyErr_SetString(PyExc_ValueError, "words must be non-empty str");
            goto fail;
        }
        Py_ssize_t size = PySequence_Size(PySequence_Fast_GET_ITEM(groups, i));
        if (size < 0)
            goto fail;
        total += PyUnicode_GET_LENGTH(w);
        total_groups += size;
    }
    if (total > INT32_MAX || total_groups > INT32_MAX) {
        PyErr_SetString(PyExc_ValueError, "too many words");
        goto fail;
    }
    size_t draft_capacity = 16;
    while (draft_capacity < (size_t)n * 2)
        draft_capacity <<= 1;
    draft = new_buckets(draft_capacity);
    flat = PyMem_Malloc((size_t)(total + 1) * sizeof(Py_UCS4));
    flat_offsets = PyMem_Malloc((size_t)(n + 1) * sizeof(Py_ssize_t));
    t->entries = PyMem_Malloc((size_t)(n + 1) * sizeof(Entry));
    t->codes = PyMem_Malloc((size_t)(total + 1) * sizeof(Py_UCS4));
    t->group_offsets = PyMem_Malloc((size_t)(n + 1) * sizeof(int32_t));
    t->groups = PyMem_Malloc((size_t)(total_groups + 1) * sizeof(int32_t));
    if (!draft || !flat || !flat_offsets || !t->entries || !t->codes || !t->group_offsets || !t->groups) {
        PyErr_NoMemory();
        goto fail;
    }
    /* pass 1: the words' code points and groups; how many words each key has */
    Py_ssize_t at = 0, at_group = 0, distinct = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *w = PySequence_Fast_GET_ITEM(words, i);
        Py_ssize_t length = PyUnicode_GET_LENGTH(w);
        if (PyUnicode_AsUCS4(w, flat + at, length + 1, 0) == NULL)
            goto fail;
        flat_offsets[i] = at;
        uint64_t key = literal_key(flat + at, length);
        Py_ssize_t b = find_bucket(draft, draft_capacity - 1, key);
        if (b < 0) {
            b = -1 - b;
            draft[b].key = key;
            distinct++;
        }
        draft[b].count++;
        at += length;
        t->group_offsets[i] = (int32_t)at_group;
        PyObject *g = PySequence_Fast(PySequence_Fast_GET_ITEM(groups, i), "groups must be sequences");
        if (g == NULL)
            goto fail;
        for (Py_ssize_t j = 0; j < PySequence_Fast_GET_SIZE(g); j++) {
            Py_ssize_t number = PyLong_AsSsize_t(PySequence_Fast_GET_ITEM(g, j));
            if (number < 0 || number >= n_groups) {
                Py_DECREF(g);
                if (!PyErr_Occurred())
                    PyErr_SetString(PyExc_ValueError, "a group number is out of range");
                goto fail;
            }
            t->groups[at_group++] = (int32_t)number;
        }
        Py_DECREF(g);
    }
    flat_offsets[n] = at;
    t->group_offsets[n] = (int32_t)at_group;
    /* pass 2: the final buckets, sized for the distinct keys, each with its run of entries */
    size_t capacity = 16;
    while (capacity < (size_t)distinct * 2)
        capacity <<= 1;
    t->mask = capacity - 1;
    t->buckets = new_buckets(capacity);
    if (t->buckets == NULL) {
        PyErr_NoMemory();
        goto fail;
    }
    int32_t start = 0;
    for (size_t d = 0; d < draft_capacity; d++) {
        if (draft[d].key == EMPTY_KEY)
            continue;
        Py_ssize_t b = -1 - find_bucket(t->buckets, t->mask, draft[d].key);
        t->buckets[b].key = draft[d].key;
        t->buckets[b].start = start;
        start += draft[d].count;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        Py_ssize_t length = flat_offsets[i + 1] - flat_offsets[i];
        Bucket *bucket = &t->buckets[find_bucket(t->buckets, t->mask, literal_key(flat + flat_offsets[i], length))];
        Entry *e = &t->entries[bucket->start + bucket->count++];
        e->length = (int32_t)length;
        e->word = (int32_t)i;
        e->codes = (int32_t)flat_offsets[i];  /* into flat until the words are laid out below */
    }
    t->recorded = PyMem_Malloc((size_t)(t->n_groups - t->record_from + 1) * 2 * sizeof(int32_t));
    if (t->recorded == NULL) {
        PyErr_NoMemory();
        goto fail;
    }
    /* the filter of first code points: about eight bits per word, so that few absent ones pass */
    size_t bits = 512;
    while (bits < (size_t)n * 8 && bits < ((size_t)1 << 20))
        bits <<= 1;
    t->first_shift = 32;
    for (size_t b = bits; b > 1; b >>= 1)
        t->first_shift--;
    t->firsts = PyMem_Calloc(bits / 8, 1);
    if (t->firsts == NULL) {
        PyErr_NoMemory();
        goto fail;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        uint32_t h = first_hash(flat[flat_offsets[i]], t->first_shift);
        t->firsts[h >> 3] |= (uint8_t)(1u << (h & 7));
    }
    /* the filter of bucket keys, also about eight bits per key */
    bits = 512;
    int log2_bits = 9;
    while (bits < (size_t)distinct * 8 && bits < ((size_t)1 << 21)) {
        bits <<= 1;
        log2_bits++;
    }
    t->key_shift = 64 - log2_bits;
    t->keys = PyMem_Calloc(bits / 8, 1);
    if (t->keys == NULL) {
        PyErr_NoMemory();
        goto fail;
    }
    for (size_t b = 0; b <= t->mask; b++)
        if (t->buckets[b].key != EMPTY_KEY) {
            uint64_t h = key_bit(t->buckets[b].key, t->key_shift);
            t->keys[h >> 3] |= (uint8_t)(1u << (h & 7));
        }
    /* within a bucket: words of one or two code points first, then the longer ones in the order of their
     * remaining code points, so that a scan finds the words that go on like the text by binary search
     * (a bucket such as "yo" or "th" holds a hundred English words) */
    sorting_codes = flat;
    for (size_t b = 0; b <= t->mask; b++)
        if (t->buckets[b].count > 1)
            qsort(t->entries + t->buckets[b].start, (size_t)t->buckets[b].count, sizeof(Entry), entry_order);
    /* the words' code points in entry order, so that a bucket is read in one sweep */
    Py_ssize_t code_at = 0;
    for (Py_ssize_t e = 0; e < n; e++) {
        Entry *entry = &t->entries[e];
        entry->third = entry->length > 2 ? (int32_t)flat[entry->codes + 2] : -1;
        memcpy(t->codes + code_at, flat + entry->codes, (size_t)entry->length * sizeof(Py_UCS4));
        entry->codes = (int32_t)code_at;
        code_at += entry->length;
    }
    PyMem_Free(draft);
    PyMem_Free(flat);
    PyMem_Free(flat_offsets);
    Py_DECREF(words);
    Py_DECREF(groups);
    return (PyObject *)t;
fail:
    PyMem_Free(draft);
    PyMem_Free(flat);
    PyMem_Free(flat_offsets);
    Py_XDECREF(words);
    Py_XDECREF(groups);
    Py_XDECREF(t);
    return NULL;
}

/* The first entry of entries[lo:hi) (sorted on `third`) whose third code point is `code` or more. */
static inline int32_t
first_third(const Entry *entries, int32_t lo, int32_t hi, int32_t code)
{
    while (lo < hi) {
        int32_t mid = lo + (hi - lo) / 2;
        if (entries[mid].third < code)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* Calls found(word index, end) for every occurrence of every word in text[lo:hi), by start. `keyed`: check
 * the filter of keys before each probe (two checks a position, against one of `firsts`). */
#define FOR_EACH_OCCURRENCE(t, text, lo, hi, keyed, found)                                           \
    for (Py_ssize_t pos = (lo); pos < (hi); pos++) {                                                 \
        if (!(keyed)) {                                                                              \
            uint32_t first = first_hash((text)[pos], (t)->first_shift);                              \
            if (!((t)->firsts[first >> 3] & (1u << (first & 7))))                                    \
                continue;                                                                            \
        }                                                                                            \
        for (int width = 1; width <= 2 && pos + width <= (hi); width++) {                            \
            uint64_t key = literal_key((text) + pos, width);                                         \
            if ((keyed) && !may_have_key((t)->keys, (t)->key_shift, key))                            \
                continue;                                                                            \
            Py_ssize_t b = find_bucket((t)->buckets, (t)->mask, key);                                \
            if (b < 0)                                                                               \
                continue;                                                                            \
            const Entry *entries = (t)->entries + (t)->buckets[b].start;                             \
            int32_t n_entries = (t)->buckets[b].count, k = 0;                                            \
            for (; k < n_entries && entries[k].length <= 2; k++)                                         \
                found(entries[k].word, pos + entries[k].length);                                     \
            if (k == n_entries || pos + 2 >= (hi))                                                       \
                continue;                                                                            \
            int32_t third = (int32_t)(text)[pos + 2];                                                \
            for (k = first_third(entries, k, n_entries, third); k < n_entries && entries[k].third == third; k++) { \
                Py_ssize_t length = entries[k].length;                                               \
                if (pos + length > (hi))                                                             \
                    continue;                                                                        \
                if (length > 3 && memcmp((t)->codes + entries[k].codes + 3, (text) + pos + 3,        \
                                         (size_t)(length - 3) * sizeof(Py_UCS4)) != 0)               \
                    continue;                                                                        \
                found(entries[k].word, pos + length);                                                \
            }                                                                                        \
        }                                                                                            \
    }

typedef struct {
    Py_ssize_t end;
    Py_ssize_t length;
    int32_t word;
} Occurrence;

static int
occurrence_order(const void *a, const void *b)
{
    const Occurrence *x = a, *y = b;
    if (x->end != y->end)
        return x->end < y->end ? -1 : 1;
    return x->length > y->length ? -1 : x->length < y->length;  /* at one end, the longest first */
}

/* Appends an occurrence to a growing array; -1 when out of memory. */
static inline int
push_occurrence(Occurrence **found, Py_ssize_t *used, Py_ssize_t *capacity, Py_ssize_t end, Py_ssize_t length,
                int32_t word)
{
    if (*used == *capacity) {
        Occurrence *more = PyMem_Realloc(*found, (size_t)*capacity * 2 * sizeof(Occurrence));
        if (more == NULL)
            return -1;
        *found = more;
        *capacity *= 2;
    }
    (*found)[*used].end = end;
    (*found)[*used].length = length;
    (*found)[*used].word = word;
    (*used)++;
    return 0;
}

/* The occurrences as a list of (last index, value or word index), by end, the longest first. */
static PyObject *
occurrence_list(const Literals *t, Occurrence *found, Py_ssize_t used)
{
    qsort(found, (size_t)used, sizeof(Occurrence), occurrence_order);
    PyObject *result = PyList_New(used);
    for (Py_ssize_t i = 0; result != NULL && i < used; i++) {
        PyObject *item = PyTuple_New(2), *last = PyLong_FromSsize_t(found[i].end - 1), *word;
        if (t->values != NULL) {
            word = PyTuple_GET_ITEM(t->values, found[i].word);
            Py_INCREF(word);
        }
        else
            word = PyLong_FromLong(found[i].word);
        if (item == NULL || last == NULL || word == NULL) {
            Py_XDECREF(item);
            Py_XDECREF(last);
            Py_XDECREF(word);
            Py_CLEAR(result);
            break;
        }
        PyTuple_SET_ITEM(item, 0, last);
        PyTuple_SET_ITEM(item, 1, word);
        PyList_SET_ITEM(result, i, item);
    }
    return result;
}

/* occurrences(text, lo=0, hi=len(text)) -> [(last index, word index or value), ...] of every occurrence of
 * every word within text[lo:hi], ordered as an Aho-Corasick automaton reports them: by where they end,
 * longest first. */
static PyObject *
literals_occurrences(Literals *t, PyObject *args)
{
    PyObject *arg;
    Py_ssize_t lo = 0, hi = PY_SSIZE_T_MAX;
    if (!PyArg_ParseTuple(args, "U|nn", &arg, &lo, &hi))
        return NULL;
    Py_ssize_t n = PyUnicode_GET_LENGTH(arg);
    if (hi > n)
        hi = n;
    if (lo < 0)
        lo = 0;
    if (lo >= hi)
        return PyList_New(0);
    /* only the window is read (context windows are a few dozen characters of a long text), into a buffer
     * indexed by positions in the whole text */
    Py_UCS4 small[512];
    Py_UCS4 *text = hi <= 512 ? small : PyMem_Malloc((size_t)hi * sizeof(Py_UCS4));
    if (text == NULL)
        return PyErr_NoMemory();
    int kind = PyUnicode_KIND(arg);
    const void *data = PyUnicode_DATA(arg);
    for (Py_ssize_t i = lo; i < hi; i++)
        text[i] = PyUnicode_READ(kind, data, i);
    Py_ssize_t used = 0, capacity = 64;
    Occurrence *found = PyMem_Malloc((size_t)capacity * sizeof(Occurrence));
    int failed = found == NULL;
#define COLLECT(w, stop)                                                                          \
    if (!failed && push_occurrence(&found, &used, &capacity, (stop), (stop) - pos, (w)) < 0)     \
        failed = 1;
    FOR_EACH_OCCURRENCE(t, text, lo, hi, 0, COLLECT)
#undef COLLECT
    if (text != small)
        PyMem_Free(text);
    if (failed) {
        PyMem_Free(found);
        return PyErr_NoMemory();
    }
    PyObject *result = occurrence_list(t, found, used);
    PyMem_Free(found);
    return result;
}

typedef struct {
    int32_t group;  /* counted from record_from */
    int32_t start;
} Start;

/* STARTS: scan()'s start positions, packed into one bytes object of native int32s: record_from, the number of
 * recorded groups, then per recorded group the index of its record in this same array (0: none of its words
 * occurs), then the records, each a count followed by that many ascending positions. A post has ~70 groups
 * with starts, and a regex runs at those of only a few: a dict of lists of ints cost ~4% of a post's scan. */
#define STARTS_HEADER 2

/* The positions of `group` in packed starts (see STARTS): 1 with *positions and *count set, 0 when none of
 * its words occurs (or it is not a recorded group), -1 with an exception when `starts` is not packed starts. */
static int
positions_of(PyObject *starts, Py_ssize_t group, const int32_t **positions, int32_t *count)
{
    Py_ssize_t size = PyBytes_Check(starts) ? PyBytes_GET_SIZE(starts) / (Py_ssize_t)sizeof(int32_t) : -1;
    const int32_t *packed = size >= STARTS_HEADER ? (const int32_t *)PyBytes_AS_STRING(starts) : NULL;
    if (packed == NULL || packed[1] < 0 || STARTS_HEADER + (Py_ssize_t)packed[1] > size)
        goto malformed;
    Py_ssize_t r = group - packed[0];
    if (r < 0 || r >= packed[1] || packed[STARTS_HEADER + r] == 0)
        return 0;
    Py_ssize_t at = packed[STARTS_HEADER + r];
    if (at >= size || packed[at] < 0 || at + 1 + (Py_ssize_t)packed[at] > size)
        goto malformed;
    *count = packed[at];
    *positions = packed + at + 1;
    return 1;
malformed:
    PyErr_SetString(PyExc_ValueError, "not the start positions that Literals.scan() packs");
    return -1;
}

/* scan(text) -> (flags, starts, found): `flags` a byte per group, 1 where a word of the group occurs in
 * `text`; `starts` where the words of each group numbered record_from or more start, ascending, each once,
 * packed (see STARTS above: group_starts() reads it); `found` [(last index, value)] of every occurrence of
 * the words whose value is not None, as occurrences() orders them (one pass reports the keywords with the
 * literals). */
static PyObject *
literals_scan(Literals *t, PyObject *arg)
{
    if (!PyUnicode_Check(arg)) {
        PyErr_SetString(PyExc_TypeError, "scan() takes a str");
        return NULL;
    }
    Py_ssize_t n = PyUnicode_GET_LENGTH(arg);
    if (n > INT32_MAX)
        return PyErr_Format(PyExc_ValueError, "text too long");
    Py_UCS4 *text = PyUnicode_AsUCS4Copy(arg);
    if (text == NULL)
        return NULL;
    PyObject *flags_object = PyBytes_FromStringAndSize(NULL, t->n_groups);
    Py_ssize_t used = 0, capacity = 128, n_recorded = t->n_groups - t->record_from, distinct = 0;
    Start *starts = PyMem_Malloc((size_t)capacity * sizeof(Start));
    /* positions come in ascending order, so a group's repeated start is the one it recorded last */
    int32_t *last = t->recorded, *count = t->recorded + n_recorded;
    Py_ssize_t n_hits = 0, hits_capacity = 32;
    Occurrence *hits = t->reported != NULL ? PyMem_Malloc((size_t)hits_capacity * sizeof(Occurrence)) : NULL;
    int failed = flags_object == NULL || starts == NULL || (t->reported != NULL && hits == NULL);
    if (!failed) {
        char *flags = PyBytes_AS_STRING(flags_object);
        memset(flags, 0, (size_t)t->n_groups);
        memset(last, 0xFF, (size_t)n_recorded * sizeof(int32_t));  /* -1 */
        memset(count, 0, (size_t)n_recorded * sizeof(int32_t));
#define MARK_AND_RECORD(w, end)                                                                       \
        do {                                                                                           \
            if (t->reported != NULL && t->reported[w] && !failed &&                                    \
                push_occurrence(&hits, &n_hits, &hits_capacity, (end), (end) - pos, (w)) < 0)          \
                failed = 1;                                                                            \
            for (Py_ssize_t g = t->group_offsets[w]; g < t->group_offsets[(w) + 1]; g++) {             \
                int32_t group = t->groups[g], r = group - (int32_t)t->record_from;                     \
                flags[group] = 1;                                                                      \
                if (r >= 0 && last[r] != (int32_t)pos && !failed) {                                    \
                    if (used == capacity) {                                                            \
                        Start *more = PyMem_Realloc(starts, (size_t)capacity * 2 * sizeof(Start));     \
                        if (more == NULL) {                                                            \
                            failed = 1;                                                                \
                            continue;                                                                  \
                        }                                                                              \
                        starts = more;                                                                 \
                        capacity *= 2;                                                                 \
                    }                                                                                  \
                    last[r] = (int32_t)pos;                                                            \
                    if (count[r]++ == 0)                                                               \
                        distinct++;                                                                    \
                    starts[used].group = r;                                                            \
                    starts[used].start = (int32_t)pos;                                                 \
                    used++;                                                                            \
                }                                                                                      \
            }                                                                                          \
        } while (0)
        FOR_EACH_OCCURRENCE(t, text, 0, n, 1, MARK_AND_RECORD)
#undef MARK_AND_RECORD
    }
    PyMem_Free(text);
    /* packed (see STARTS): each group's record placed where its first start comes, in one pass */
    PyObject *packed_object = failed ? NULL : PyBytes_FromStringAndSize(
        NULL, (STARTS_HEADER + n_recorded + used + distinct) * (Py_ssize_t)sizeof(int32_t));
    if (packed_object != NULL) {
        int32_t *packed = (int32_t *)PyBytes_AS_STRING(packed_object), *index = packed + STARTS_HEADER;
        packed[0] = (int32_t)t->record_from;
        packed[1] = (int32_t)n_recorded;
        memset(index, 0, (size_t)n_recorded * sizeof(int32_t));
        int32_t next = (int32_t)(STARTS_HEADER + n_recorded), *fill = last;  /* `last` is free again: fill points */
        for (Py_ssize_t i = 0; i < used; i++) {
            int32_t r = starts[i].group;
            if (index[r] == 0) {
                index[r] = next;
                packed[next] = count[r];
                fill[r] = next + 1;
                next += 1 + count[r];
            }
            packed[fill[r]++] = starts[i].start;
        }
    }
    PyMem_Free(starts);
    PyObject *found = packed_object == NULL ? NULL : hits != NULL ? occurrence_list(t, hits, n_hits) : PyList_New(0);
    PyMem_Free(hits);
    if (found == NULL) {
        Py_XDECREF(flags_object);
        Py_XDECREF(packed_object);
        return PyErr_Occurred() ? NULL : PyErr_NoMemory();
    }
    PyObject *result = PyTuple_Pack(3, flags_object, packed_object, found);
    Py_DECREF(flags_object);
    Py_DECREF(packed_object);
    Py_DECREF(found);
    return result;
}

/* all_met(flags, needs) -> list of the indexes i for which every group of entry i is set in flags. `needs`
 * packs the entries as native int32: for each, how many groups it needs, then those groups (a compact
 * form: a post checks all 500 regexes' clauses, and tuples of ints are scattered through memory). */
static PyObject *
literals_all_met(PyObject *module, PyObject *args)
{
    Py_buffer flags, needs;
    if (!PyArg_ParseTuple(args, "y*y*", &flags, &needs))
        return NULL;
    PyObject *result = PyList_New(0);
    const char *set = flags.buf;
    const int32_t *packed = needs.buf;
    Py_ssize_t length = needs.len / (Py_ssize_t)sizeof(int32_t);
    for (Py_ssize_t at = 0, i = 0; result != NULL && at < length; i++) {
        int32_t count = packed[at++];
        if (count < 0 || at + count > length) {
            PyErr_SetString(PyExc_ValueError, "needs is not a packed list of entries");
            Py_CLEAR(result);
            break;
        }
        int met = 1;
        for (int32_t j = 0; met && j < count; j++) {  /* the most selective clause comes first */
            int32_t g = packed[at + j];
            if (g < 0 || g >= flags.len) {
                PyErr_SetString(PyExc_ValueError, "a group number is out of range");
                Py_CLEAR(result);
                break;
            }
            met = set[g] != 0;
        }
        at += count;
        if (result != NULL && met) {
            PyObject *index = PyLong_FromSsize_t(i);
            if (index == NULL || PyList_Append(result, index) < 0)
                Py_CLEAR(result);
            Py_XDECREF(index);
        }
    }
    PyBuffer_Release(&flags);
    PyBuffer_Release(&needs);
    return result;
}

static PyMethodDef literals_methods[] = {
    {"occurrences", (PyCFunction)literals_occurrences, METH_VARARGS,
     "occurrences(text, lo=0, hi=len(text)) -> [(last index, word index or value)], by end, longest first"},
    {"scan", (PyCFunction)literals_scan, METH_O,
     "scan(text) -> (flags: a 1 per group with a word in `text`, where the words of the groups from record_from "
     "on start, packed (read with group_starts()), "
     "[(last index, value)] of the words whose value is not None)"},
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

/* ---- regexes at their start positions ----------------------------------------------------------------
 *
 * The engine runs each regex whose prefilter a segment meets, either at the positions where its start words
 * occur (pattern.match at each, past the end of the previous match: what finditer finds, given every place
 * a match can start) or over the whole text. In Python the loop around those calls cost about as much as
 * the matching itself on a typical post; here the calls are the same and the loop is C.
 */
static PyObject *str_pattern, *str_match, *str_finditer, *str_span;

/* The longest run of decimal digits (what the standard library's \d+ finds) in text. */
static Py_ssize_t
longest_digit_run(PyObject *text)
{
    Py_ssize_t n = PyUnicode_GET_LENGTH(text), run = 0, longest = 0;
    int kind = PyUnicode_KIND(text);
    const void *data = PyUnicode_DATA(text);
    for (Py_ssize_t i = 0; i < n; i++) {
        if (is_decimal(PyUnicode_READ(kind, data, i))) {
            if (++run > longest)
                longest = run;
        }
        else
            run = 0;
    }
    return longest;
}

/* (start, end) of a span() result; -1 on error. */
static int
span_of(PyObject *match, PyObject *group, Py_ssize_t *start, Py_ssize_t *end)
{
    PyObject *span = group == Py_None ? PyObject_CallMethodNoArgs(match, str_span)
                                      : PyObject_CallMethodOneArg(match, str_span, group);
    if (span == NULL)
        return -1;
    int ok = PyTuple_Check(span) && PyTuple_GET_SIZE(span) == 2;
    if (ok) {
        *start = PyLong_AsSsize_t(PyTuple_GET_ITEM(span, 0));
        *end = PyLong_AsSsize_t(PyTuple_GET_ITEM(span, 1));
        ok = !PyErr_Occurred();
    }
    else
        PyErr_SetString(PyExc_TypeError, "span() did not give a pair");
    Py_DECREF(span);
    return ok ? 0 : -1;
}

static int
append_span(PyObject *found, PyObject *index, Py_ssize_t start, Py_ssize_t end)
{
    if (start < 0 || end <= start)  /* an unset group, an empty match */
        return 0;
    PyObject *item = Py_BuildValue("(Onn)", index, start, end);
    if (item == NULL)
        return -1;
    int failed = PyList_Append(found, item);
    Py_DECREF(item);
    return failed;
}

/* Appends (index, start, end) for the match's span (of `group` unless None), unless empty or unset. */
static int
add_span(PyObject *found, PyObject *index, PyObject *match, PyObject *group)
{
    Py_ssize_t start, end;
    if (span_of(match, group, &start, &end) < 0)
        return -1;
    return append_span(found, index, start, end);
}

/* Matches of one regex: at each of the `count` ascending `positions` (NULL: over the whole text). */
static int
run_regex(PyObject *found, PyObject *index, PyObject *pattern, PyObject *group, PyObject *text,
          const int32_t *positions, int32_t count)
{
    if (positions == NULL) {
        /* finditer(string, pos, endpos, overlapped, concurrent): concurrent=False keeps the GIL, which the
         * regex module otherwise releases and takes back around every match (a quarter of a short call) */
        PyObject *matches = PyObject_CallMethodObjArgs(pattern, str_finditer, text, Py_None, Py_None, Py_False,
                                                       Py_False, NULL), *match;
        if (matches == NULL)
            return -1;
        int failed = 0;
        while (!failed && (match = PyIter_Next(matches)) != NULL) {
            failed = add_span(found, index, match, group) < 0;
            Py_DECREF(match);
        }
        Py_DECREF(matches);
        return failed || PyErr_Occurred() ? -1 : 0;
    }
    PyObject *match_at = PyObject_GetAttr(pattern, str_match);
    if (match_at == NULL)
        return -1;
    Py_ssize_t after = 0;  /* the end of the previous match: a match is tried only from there on */
    int failed = 0;
    for (int32_t i = 0; !failed && i < count; i++) {
        Py_ssize_t at = positions[i];
        if (at < after)
            continue;
        PyObject *position = PyLong_FromSsize_t(at);
        if (position == NULL) {
            failed = 1;
            break;
        }
        PyObject *argv[4] = {text, position, Py_None, Py_False};  /* match(string, pos, endpos, concurrent) */
        PyObject *match = PyObject_Vectorcall(match_at, argv, 4, NULL);
        Py_DECREF(position);
        if (match == NULL) {
            failed = 1;
            break;
        }
        if (match != Py_None) {
            Py_ssize_t start, end;
            failed = span_of(match, Py_None, &start, &end) < 0;
            if (!failed) {
                after = end > at + 1 ? end : at + 1;
                failed = (group == Py_None ? append_span(found, index, start, end)
                                           : add_span(found, index, match, group)) < 0;
            }
        }
        Py_DECREF(match);
    }
    Py_DECREF(match_at);
    return failed ? -1 : 0;
}

/* regex_spans(text, candidates, starts, runs) -> [(entry index, start, end), ...]: the spans the regexes of
 * `candidates` (entry indexes into `runs`) match in `text`, in that order. runs[i] is (matcher, start group,
 * min_digits, group): where start group >= 0 the regex is tried only where that group's words start (in
 * `starts`, as scan() packs them), and skipped when none does; it is skipped when min_digits exceeds the
 * text's longest digit run; the span is that of `group` unless None, and empty or unset spans are left out. */
static PyObject *
regex_spans(PyObject *module, PyObject *args)
{
    PyObject *text, *candidates, *starts, *runs;
    if (!PyArg_ParseTuple(args, "UO!SO!", &text, &PyList_Type, &candidates, &starts, &PyTuple_Type, &runs))
        return NULL;
    PyObject *found = PyList_New(0);
    Py_ssize_t digit_run = -1;
    for (Py_ssize_t i = 0; found != NULL && i < PyList_GET_SIZE(candidates); i++) {
        PyObject *index = PyList_GET_ITEM(candidates, i);
        Py_ssize_t entry = PyLong_AsSsize_t(index);
        if (entry < 0 || entry >= PyTuple_GET_SIZE(runs)) {
            if (!PyErr_Occurred())
                PyErr_SetString(PyExc_IndexError, "a candidate is not an index into runs");
            Py_CLEAR(found);
            break;
        }
        PyObject *run = PyTuple_GET_ITEM(runs, entry);
        if (!PyTuple_Check(run) || PyTuple_GET_SIZE(run) != 4) {
            PyErr_SetString(PyExc_TypeError, "runs holds (matcher, start group, min_digits, group) tuples");
            Py_CLEAR(found);
            break;
        }
        PyObject *start_group = PyTuple_GET_ITEM(run, 1);
        const int32_t *positions = NULL;
        int32_t count = 0;
        long group_number = PyLong_AsLong(start_group);
        long min_digits = group_number == -1 && PyErr_Occurred() ? 0 : PyLong_AsLong(PyTuple_GET_ITEM(run, 2));
        if (PyErr_Occurred()) {
            Py_CLEAR(found);
            break;
        }
        if (group_number >= 0) {
            int present = positions_of(starts, group_number, &positions, &count);
            if (present < 0) {
                Py_CLEAR(found);
                break;
            }
            if (present == 0)
                continue;  /* none of its start words occurs */
        }
        if (min_digits > 0) {
            if (digit_run < 0)
                digit_run = longest_digit_run(text);
            if (digit_run < min_digits)
                continue;
        }
        PyObject *pattern = PyObject_GetAttr(PyTuple_GET_ITEM(run, 0), str_pattern);
        if (pattern == NULL || run_regex(found, index, pattern, PyTuple_GET_ITEM(run, 3), text, positions, count) < 0)
            Py_CLEAR(found);
        Py_XDECREF(pattern);
    }
    return found;
}

/* ---- text preparation ------------------------------------------------------------------------------
 *
 * postguard.text maps characters one to one (full-width forms, dashes, traditional -> simplified Chinese)
 * and counts Han characters against Latin words to pick a post's language. Both run on every post; with
 * the standard library they cost about 20 us a post, here about 1.
 */
typedef struct {
    PyObject_HEAD
    Py_ssize_t n;
    Py_UCS4 *from;         /* sorted */
    Py_UCS4 *to;
    uint8_t bmp[0x10000 / 8];  /* a bit per BMP code point that `from` holds: most characters need no search */
} CharMap;

static int
char_order(const void *a, const void *b)
{
    Py_UCS4 x = ((const Py_UCS4 *)a)[0], y = ((const Py_UCS4 *)b)[0];
    return (x > y) - (x < y);
}

static void
charmap_dealloc(CharMap *t)
{
    PyMem_Free(t->from);
    PyMem_Free(t->to);
    Py_TYPE(t)->tp_free((PyObject *)t);
}

/* CharMap(table): `table` a dict {code point: one-character str}, as str.translate takes. */
static PyObject *
charmap_new(PyTypeObject *type, PyObject *args, PyObject *kwargs)
{
    static char *names[] = {"table", NULL};
    PyObject *table;
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "O!", names, &PyDict_Type, &table))
        return NULL;
    CharMap *t = (CharMap *)type->tp_alloc(type, 0);
    if (t == NULL)
        return NULL;
    Py_ssize_t n = PyDict_GET_SIZE(table);
    Py_UCS4 *pairs = PyMem_Malloc((size_t)(n ? n : 1) * 2 * sizeof(Py_UCS4));
    t->from = PyMem_Malloc((size_t)(n ? n : 1) * sizeof(Py_UCS4));
    t->to = PyMem_Malloc((size_t)(n ? n : 1) * sizeof(Py_UCS4));
    if (pairs == NULL || t->from == NULL || t->to == NULL) {
        PyMem_Free(pairs);
        Py_DECREF(t);
        return PyErr_NoMemory();
    }
    PyObject *key, *value;
    Py_ssize_t pos = 0, i = 0;
    while (PyDict_Next(table, &pos, &key, &value)) {
        long code = PyLong_Check(key) ? PyLong_AsLong(key) : -1;
        if (code < 0 || code > 0x10FFFF || !PyUnicode_Check(value) || PyUnicode_GET_LENGTH(value) != 1) {
            PyMem_Free(pairs);
            Py_DECREF(t);
            if (!PyErr_Occurred() || PyErr_ExceptionMatches(PyExc_OverflowError)) {
                PyErr_Clear();
                PyErr_SetString(PyExc_ValueError, "table maps code points to single characters");
            }
            return NULL;
        }
        pairs[2 * i] = (Py_UCS4)code;
        pairs[2 * i + 1] = PyUnicode_READ_CHAR(value, 0);
        i++;
    }
    qsort(pairs, (size_t)n, 2 * sizeof(Py_UCS4), char_order);
    for (i = 0; i < n; i++) {
        t->from[i] = pairs[2 * i];
        t->to[i] = pairs[2 * i + 1];
        if (t->from[i] < 0x10000)
            t->bmp[t->from[i] >> 3] |= (uint8_t)(1u << (t->from[i] & 7));
    }
    t->n = n;
    PyMem_Free(pairs);
    return (PyObject *)t;
}

/* Where c is in `from`, or -1. */
static inline Py_ssize_t
charmap_find(const CharMap *t, Py_UCS4 c)
{
    if (c < 0x10000 && !(t->bmp[c >> 3] & (1u << (c & 7))))
        return -1;
    Py_ssize_t lo = 0, hi = t->n;
    while (lo < hi) {
        Py_ssize_t mid = lo + (hi - lo) / 2;
        if (t->from[mid] < c)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < t->n && t->from[lo] == c ? lo : -1;
}

/* map(text) -> text with every character of the table replaced (`text` itself when none occurs). */
static PyObject *
charmap_map(CharMap *t, PyObject *arg)
{
    if (!PyUnicode_Check(arg)) {
        PyErr_SetString(PyExc_TypeError, "map() takes a str");
        return NULL;
    }
    Py_ssize_t n = PyUnicode_GET_LENGTH(arg);
    int kind = PyUnicode_KIND(arg);
    const void *data = PyUnicode_DATA(arg);
    Py_UCS4 *out = NULL;
    for (Py_ssize_t i = 0; i < n; i++) {
        Py_ssize_t at = charmap_find(t, PyUnicode_READ(kind, data, i));
        if (at < 0)
            continue;
        if (out == NULL) {
            out = PyUnicode_AsUCS4Copy(arg);
            if (out == NULL)
                return NULL;
        }
        out[i] = t->to[at];
    }
    if (out == NULL) {
        Py_INCREF(arg);
        return arg;
    }
    PyObject *result = PyUnicode_FromKindAndData(PyUnicode_4BYTE_KIND, out, n);
    PyMem_Free(out);
    return result;
}

static PyMethodDef charmap_methods[] = {
    {"map", (PyCFunction)charmap_map, METH_O, "map(text) -> text with the table's characters replaced"},
    {NULL, NULL, 0, NULL},
};

static PyTypeObject CharMapType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "postguard._native.CharMap",
    .tp_basicsize = sizeof(CharMap),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "A one-to-one character table applied to texts (str.translate for single characters).",
    .tp_new = charmap_new,
    .tp_dealloc = (destructor)charmap_dealloc,
    .tp_methods = charmap_methods,
};

/* han_and_latin_words(text) -> (Han characters, Latin words): the characters in the CJK unified ideograph
 * blocks (U+3400-4DBF, 4E00-9FFF, F900-FAFF, 20000-2EBEF) and the runs of two or more ASCII letters. */
static PyObject *
han_and_latin_words(PyObject *module, PyObject *arg)
{
    if (!PyUnicode_Check(arg)) {
        PyErr_SetString(PyExc_TypeError, "han_and_latin_words() takes a str");
        return NULL;
    }
    Py_ssize_t n = PyUnicode_GET_LENGTH(arg), han = 0, words = 0, run = 0;
    int kind = PyUnicode_KIND(arg);
    const void *data = PyUnicode_DATA(arg);
    for (Py_ssize_t i = 0; i < n; i++) {
        Py_UCS4 c = PyUnicode_READ(kind, data, i);
        if ((c | 0x20) >= 'a' && (c | 0x20) <= 'z') {
            if (++run == 2)
                words++;
            continue;
        }
        run = 0;
        han += (c >= 0x3400 && c <= 0x4DBF) || (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0xF900 && c <= 0xFAFF) ||
               (c >= 0x20000 && c <= 0x2EBEF);
    }
    return Py_BuildValue("(nn)", han, words);
}

/* group_starts(starts, group) -> [position, ...] or None: where the words of `group` start, from the
 * start positions scan() packs (None when none of them occurs). */
static PyObject *
group_starts(PyObject *module, PyObject *args)
{
    PyObject *starts;
    Py_ssize_t group;
    if (!PyArg_ParseTuple(args, "Sn", &starts, &group))
        return NULL;
    const int32_t *positions;
    int32_t count;
    int present = positions_of(starts, group, &positions, &count);
    if (present <= 0)
        return present < 0 ? NULL : Py_NewRef(Py_None);
    PyObject *list = PyList_New(count);
    for (int32_t i = 0; list != NULL && i < count; i++) {
        PyObject *position = PyLong_FromLong(positions[i]);
        if (position == NULL)
            Py_CLEAR(list);
        else
            PyList_SET_ITEM(list, i, position);
    }
    return list;
}

static PyMethodDef module_functions[] = {
    {"group_starts", group_starts, METH_VARARGS,
     "group_starts(starts, group) -> where the words of `group` start, from scan()'s packed starts, or None"},
    {"all_met", literals_all_met, METH_VARARGS,
     "all_met(flags, needs) -> indexes of the packed entries of `needs` whose groups are all set in `flags`"},
    {"regex_spans", regex_spans, METH_VARARGS,
     "regex_spans(text, candidates, starts, runs) -> [(entry index, start, end)] of the candidate regexes' matches"},
    {"han_and_latin_words", han_and_latin_words, METH_O,
     "han_and_latin_words(text) -> (Han characters, runs of two or more ASCII letters)"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef native_module = {
    PyModuleDef_HEAD_INIT, "postguard._native", "postguard's optional C speed-ups.", -1, module_functions,
};

PyMODINIT_FUNC
PyInit__native(void)
{
    if (PyType_Ready(&FeatureTableType) < 0 || PyType_Ready(&LiteralsType) < 0 || PyType_Ready(&CharMapType) < 0)
        return NULL;
    str_pattern = PyUnicode_InternFromString("pattern");
    str_match = PyUnicode_InternFromString("match");
    str_finditer = PyUnicode_InternFromString("finditer");
    str_span = PyUnicode_InternFromString("span");
    if (str_pattern == NULL || str_match == NULL || str_finditer == NULL || str_span == NULL)
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
    Py_INCREF(&CharMapType);
    if (PyModule_AddObject(m, "CharMap", (PyObject *)&CharMapType) < 0) {
        Py_DECREF(&CharMapType);
        Py_DECREF(m);
        return NULL;
    }
    return m;
}

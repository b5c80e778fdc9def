/*
 * fast.c - the accelerator: whole CONNECT, CONNACK and PUBLISH packets in
 * their common form, and runs of plain bytes inside a value, taken in one
 * straight pass.
 *
 * Contract: every function here either accepts (the packet, or the run,
 * passes every check of machine.c, and the parser, the events and the
 * one-shot decoders' structs are left exactly as machine.c would leave
 * them) or declines, having changed nothing the state machine reads, and
 * machine.c then reads the same bytes from where the parser stands. So a
 * verdict, an error offset or an event never depends on which path ran.
 * The rules it accepts by come from rules.h and charclass.h; its tables
 * are generated from them at compile time. fuzz_split and fuzz_fastpath
 * hold the two paths to the contract. Built only with MQTTP_FAST_PATH
 * (the default; make FAST_PATH=0 leaves it out).
 */
#include "machine.h"
#include "charclass.h"

#if MQTTP_FAST_PATH
#include <stddef.h>
#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

/* The checks are small and called with constant arguments (topic, where,
 * NULL struct): inlined, they fold. */
#if defined(__GNUC__)
#define FAST_INLINE static inline __attribute__((always_inline))
#define FAST_NOINLINE __attribute__((noinline))
#else
#define FAST_INLINE static inline
#define FAST_NOINLINE
#endif
/* The entry functions (FAST_START), where the property walk is inlined:
 * without cross-jumping gcc keeps the walk's dispatch tails apart, so a
 * property costs one taken branch. */
#if defined(__GNUC__) && !defined(__clang__)
#define FAST_ENTRY __attribute__((noinline, optimize("no-crossjumping")))
#else
#define FAST_ENTRY FAST_NOINLINE
#endif

/* A check that declines the packet: laid out off the straight path. */
#if defined(__GNUC__)
#define FAST_BAD(x) __builtin_expect(!!(x), 0)
#define FAST_GOOD(x) __builtin_expect(!!(x), 1)
#else
#define FAST_BAD(x) (x)
#define FAST_GOOD(x) (x)
#endif

struct fast_span {
	uint32_t off, len;
};

/* Big-endian integers at s. */
FAST_INLINE uint32_t load_be16(const uint8_t *s)
{
	return (uint32_t)s[0] << 8 | s[1];
}

FAST_INLINE uint32_t load_be32(const uint8_t *s)
{
#if defined(__GNUC__) && MQTTP__LE
	uint32_t v;

	memcpy(&v, s, 4);
	return __builtin_bswap32(v);
#else
	return (uint32_t)s[0] << 24 | (uint32_t)s[1] << 16 | (uint32_t)s[2] << 8 | s[3];
#endif
}

/* What a caller of fast_bin() / fast_str() knows, so that a test that
 * cannot fail there is left out. FS_LEN: the 2 length bytes at *q are
 * inside the buffer (the test of the value's end against e covers them).
 * FS_FAR: the value ends 16 or more bytes into the packet. FS_ONCE
 * changes only the code: *q is the end the test computed. */
enum { FS_LEN = 1, FS_FAR = 2, FS_ONCE = 4 };

/* A 2-byte length and its bytes at *q, inside [*q, e): 1 with the value
 * at *v (*n bytes) and *q moved past it. */
FAST_INLINE int fast_bin_in(const uint8_t **q, const uint8_t *e, const uint8_t **v, uint32_t *n, unsigned how)
{
	const uint8_t *s = *q;
	uint32_t len;
	uintptr_t end;

	/* bounds as integer address compares: no pointer is formed past the
	 * packet, and no length stays live */
	if (!(how & FS_LEN) && (uintptr_t)s + 2 > (uintptr_t)e)
		return 0;
	len = load_be16(s);
	end = (uintptr_t)s + 2 + len;
	if (end > (uintptr_t)e)
		return 0;
	*v = s + 2;
	*n = len;
	*q = (how & FS_ONCE) ? (const uint8_t *)end : s + 2 + len;
	return 1;
}

FAST_INLINE int fast_bin(const uint8_t **q, const uint8_t *e, const uint8_t **v, uint32_t *n)
{
	return fast_bin_in(q, e, v, n, FS_ONCE);
}

#if defined(__SSE2__)
/* Bits of the last i of 16 bytes, for fast_str(). */
static const uint16_t fast_tail[17] = {
	0x0000, 0x8000, 0xC000, 0xE000, 0xF000, 0xF800, 0xFC00, 0xFE00, 0xFF00,
	0xFF80, 0xFFC0, 0xFFE0, 0xFFF0, 0xFFF8, 0xFFFC, 0xFFFE, 0xFFFF,
};
#endif

/* The same for a printable-ASCII string (d: the packet's first byte). */
FAST_INLINE int fast_str_in(const uint8_t *d, const uint8_t **q, const uint8_t *e,
                            const uint8_t **v, uint32_t *n, int topic, unsigned how)
{
	if (!fast_bin_in(q, e, v, n, how))
		return 0;
#if defined(__SSE2__)
	/* a value of at most 16 bytes, 16 or more bytes into the packet: the
	 * 16 bytes that end with it and a mask (kept here, not in the run
	 * scanner, where the compiler's code was slower); a branch on the
	 * mask, not `return !mask`, which is tested twice */
	if (*n <= 16 && ((how & FS_FAR) || (uintptr_t)*q >= (uintptr_t)d + 16)) {
		if (FAST_BAD(~(unsigned)_mm_movemask_epi8(mqttp__cc_vec_good(_mm_loadu_si128((const __m128i *)(const void *)(*q - 16)),
		                                                   topic)) &
		             fast_tail[*n]))
			return 0;
		return 1;
	}
#endif
	return !mqttp__cc_run_bad(d, *v, *n, e, topic);
}

FAST_INLINE int fast_str(const uint8_t *d, const uint8_t **q, const uint8_t *e,
                         const uint8_t **v, uint32_t *n, int topic)
{
	return fast_str_in(d, q, e, v, n, topic, FS_ONCE);
}

/* The fixed header's remaining length (minimal) with the whole packet in
 * d[0, avail): 1 with *rl, *hl. */
FAST_INLINE int fast_header(const uint8_t *d, size_t avail, uint32_t *rl, uint32_t *hl)
{
	uint32_t v = 0;
	uint8_t n;

	if (avail >= 2 && d[1] < 0x80) { /* the usual 1-byte length */
		*rl = d[1];
		*hl = 2;
		return d[1] <= avail - 2;
	}
	if (avail >= 3 && d[2] < 0x80) { /* 2 bytes (128 B .. 16 KB) */
		v = (uint32_t)(d[1] & 0x7F) | (uint32_t)d[2] << 7;
		*rl = v;
		*hl = 3;
		return d[2] != 0 && v <= avail - 3;
	}
	if (avail < 2 || mqttp__vbi_read(d + 1, avail - 1, &v, &n) != MQTTP__VBI_END || v > avail - 1 - n)
		return 0;
	*rl = v;
	*hl = n + 1u;
	return 1;
}

static void fast_emit_bytes(const struct sink *k, const uint8_t *d, uint8_t id, const struct fast_span *sp)
{
	struct mqttp_field f;

	f.id = id;
	f.prop_id = 0;
	f.pair_part = 0;
	f.flags = MQTTP_FRAG_FIRST | MQTTP_FRAG_LAST;
	f.value = sp->len;
	f.off = sp->off;
	f.len = sp->len;
	f.frag = d + sp->off;
	f.frag_off = 0;
	f.frag_len = sp->len;
	k->cb(k->ctx, &f);
}

static void fast_emit_int(const struct sink *k, uint8_t id, uint32_t off, uint32_t value, uint32_t len)
{
	struct mqttp_field f;

	f.id = id;
	f.prop_id = 0;
	f.pair_part = 0;
	f.flags = MQTTP_FRAG_FIRST | MQTTP_FRAG_LAST;
	f.value = value;
	f.off = off;
	f.len = len;
	f.frag = NULL;
	f.frag_off = 0;
	f.frag_len = 0;
	k->cb(k->ctx, &f);
}

/* A variable byte integer of at most 2 bytes, minimal, at *q inside
 * [*q, e). */
FAST_INLINE int fast_vbi(const uint8_t **q, const uint8_t *e, uint32_t *v)
{
	const uint8_t *s = *q;

	if (s >= e)
		return 0;
	if (FAST_GOOD(!(s[0] & 0x80))) {
		*v = s[0];
		*q = s + 1;
		return 1;
	}
	if (e - s < 2 || (s[1] & 0x80) || s[1] == 0)
		return 0;
	*v = (uint32_t)(s[0] & 0x7F) | (uint32_t)s[1] << 7;
	*q = s + 2;
	return 1;
}

/* Record a value in a one-shot decoder's struct (d: the buffer, which
 * starts with the packet). */
FAST_INLINE void fast_store(struct mqttp_bytes *b, const uint8_t *d, const uint8_t *v, uint32_t n)
{
	b->ptr = v;
	b->off = (uint32_t)(v - d);
	b->len = n;
	b->present = 1;
}

/*
 * Property kinds by packet part, derived from rules.h's table: a kind
 * the fast path reads, or FK_NONE (not allowed in that part, undefined,
 * or a type/range it leaves to the state machine, which then decides).
 */
enum { FK_NONE = 0, FK_FLAG, FK_U16, FK_U16NZ, FK_U32, FK_U32NZ, FK_BIN, FK_STR, FK_TOPIC, FK_PAIR };
enum { FW_CONNECT = 0, FW_WILL, FW_CONNACK, FW_PUBLISH };
/* Which struct a one-shot decoder's values go to: struct mqttp_properties
 * (CONNECT, will, CONNACK) or struct mqttp_publish. */
enum { FS_PROPS = 0, FS_PUBLISH = 1 };
#define FAST_SLOTS(where) ((where) == FW_PUBLISH ? FS_PUBLISH : FS_PROPS)

#define FAST_KIND(part, packets, type, range)                                                      \
	(!((packets) & (part)) ? FK_NONE                                                            \
	 : (type) == MQTTP_PT_BYTE ? ((range) == MQTTP__FLAG ? FK_FLAG : FK_NONE)                    \
	 : (type) == MQTTP_PT_U16 ? ((range) == MQTTP__NONZERO ? FK_U16NZ : FK_U16)                  \
	 : (type) == MQTTP_PT_U32 ? ((range) == MQTTP__NONZERO ? FK_U32NZ : FK_U32)                  \
	 : (type) == MQTTP_PT_BINARY ? FK_BIN                                                        \
	 : (type) == MQTTP_PT_STRING ? ((range) == MQTTP__TOPIC ? FK_TOPIC : FK_STR)                 \
	 : (type) == MQTTP_PT_STRING_PAIR ? FK_PAIR : FK_NONE)

/* Every part's kinds agree with the table: only repeatable properties are
 * read as FK_PAIR, which skips the repeat test; every slot fits in a byte. */
#define FAST_CHECK_ROW(id, type, packets, rep, range, slot, name)                                            \
	typedef char fast_rule_check_##id[((FAST_KIND(MQTTP__PK(MQTTP_CONNECT), packets, type, range) == FK_PAIR) == !!(rep) || \
	                                   FAST_KIND(MQTTP__PK(MQTTP_CONNECT), packets, type, range) == FK_NONE) &&          \
	                                  ((FAST_KIND(MQTTP__PK_WILL, packets, type, range) == FK_PAIR) == !!(rep) ||    \
	                                   FAST_KIND(MQTTP__PK_WILL, packets, type, range) == FK_NONE) &&             \
	                                  ((FAST_KIND(MQTTP__PK(MQTTP_CONNACK), packets, type, range) == FK_PAIR) == !!(rep) || \
	                                   FAST_KIND(MQTTP__PK(MQTTP_CONNACK), packets, type, range) == FK_NONE) &&          \
	                                  ((FAST_KIND(MQTTP__PK(MQTTP_PUBLISH), packets, type, range) == FK_PAIR) == !!(rep) || \
	                                   FAST_KIND(MQTTP__PK(MQTTP_PUBLISH), packets, type, range) == FK_NONE) &&          \
	                                  ((slot) < 256 || (slot) == MQTTP__NOWHERE) ? 1 : -1];
MQTTP__PROPERTIES(FAST_CHECK_ROW)
#undef FAST_CHECK_ROW

/* MQTTP__PUBLISH_FIELDS (internal.h) holds exactly the single-valued
 * properties rules.h allows in a PUBLISH, each in a member as wide as its
 * type: fast_walk() and fast_prop() store by the type. */
#define FAST_PUB_ROW(id, type, packets, rep, range, slot, name) \
	fast_pub_type_##id = (type), fast_pub_in_##id = ((packets) & MQTTP__PK(MQTTP_PUBLISH)) && !(rep),
enum { MQTTP__PROPERTIES(FAST_PUB_ROW) fast_pub_rows_end };
#undef FAST_PUB_ROW
#define FAST_TYPE_WIDTH(t) ((int)(t) == (int)MQTTP_PT_BYTE ? 1 : (int)(t) == (int)MQTTP_PT_U16 ? 2 : (int)(t) == (int)MQTTP_PT_U32 ? 4 \
                            : (int)(t) == (int)MQTTP_PT_STRING || (int)(t) == (int)MQTTP_PT_BINARY ? sizeof(struct mqttp_bytes) : 0)
#define FAST_PUB_FIELD_CHECK(id, member) \
	typedef char fast_pub_field_check_##id[fast_pub_in_##id && \
	        sizeof(((struct mqttp_publish *)0)->member) == FAST_TYPE_WIDTH(fast_pub_type_##id) ? 1 : -1];
MQTTP__PUBLISH_FIELDS(FAST_PUB_FIELD_CHECK)
#undef FAST_PUB_FIELD_CHECK
#define FAST_PUB_COUNT_RULES(id, type, packets, rep, range, slot, name) +fast_pub_in_##id
#define FAST_PUB_COUNT_FIELDS(id, member) +1
typedef char fast_pub_fields_check[(0 MQTTP__PROPERTIES(FAST_PUB_COUNT_RULES)) ==
                                   (0 MQTTP__PUBLISH_FIELDS(FAST_PUB_COUNT_FIELDS)) ? 1 : -1];
#undef FAST_PUB_COUNT_FIELDS
#undef FAST_PUB_COUNT_RULES
#undef FAST_TYPE_WIDTH

/*
 * The fast path's tables by property id, in one struct so that one base
 * register serves them all (fast_tables()):
 * - bit: 1 << id; bit 63 for the ids past MQTTP_PROP_MAX;
 * - kind: the kinds above, by packet part (FW_*);
 * - slot: where the value goes in a struct mqttp_properties.
 */
#define FAST_BIT4(i) 1ull << (i), 1ull << ((i) + 1), 1ull << ((i) + 2), 1ull << ((i) + 3)
#define FAST_HI4 1ull << 63, 1ull << 63, 1ull << 63, 1ull << 63
#define FAST_HI16 FAST_HI4, FAST_HI4, FAST_HI4, FAST_HI4
#define FAST_KIND_C(id, type, packets, rep, range, slot, name) [id] = FAST_KIND(MQTTP__PK(MQTTP_CONNECT), packets, type, range),
#define FAST_KIND_W(id, type, packets, rep, range, slot, name) [id] = FAST_KIND(MQTTP__PK_WILL, packets, type, range),
#define FAST_KIND_A(id, type, packets, rep, range, slot, name) [id] = FAST_KIND(MQTTP__PK(MQTTP_CONNACK), packets, type, range),
#define FAST_KIND_P(id, type, packets, rep, range, slot, name) [id] = FAST_KIND(MQTTP__PK(MQTTP_PUBLISH), packets, type, range),
#define FAST_SLOT(id, type, packets, rep, range, slot, name) [id] = (uint8_t)((slot) == MQTTP__NOWHERE ? 0 : (slot)),
#define FAST_PSLOT(id, member) [id] = (uint8_t)offsetof(struct mqttp_publish, member),
struct fast_tables {
	uint64_t bit[256];
	uint8_t kind[4][256];
	uint8_t slot[2][MQTTP_PROP_MAX + 1]; /* FS_PROPS, FS_PUBLISH */
};
typedef char fast_bit_check[MQTTP_PROP_MAX == 0x2A ? 1 : -1]; /* the bit rows below end at 0x2A */
static const struct fast_tables fast_tab = {
	{ /* bit */
		FAST_BIT4(0x00), FAST_BIT4(0x04), FAST_BIT4(0x08), FAST_BIT4(0x0C), FAST_BIT4(0x10),
		FAST_BIT4(0x14), FAST_BIT4(0x18), FAST_BIT4(0x1C), FAST_BIT4(0x20), FAST_BIT4(0x24),
		1ull << 0x28, 1ull << 0x29, 1ull << 0x2A, 1ull << 63, FAST_HI4,           /* 0x2B-0x2F */
		FAST_HI16, FAST_HI16, FAST_HI16, FAST_HI16, FAST_HI16, FAST_HI16, FAST_HI16, /* 0x30-0xFF */
		FAST_HI16, FAST_HI16, FAST_HI16, FAST_HI16, FAST_HI16, FAST_HI16,
	},
	{ /* kind */
		{ MQTTP__PROPERTIES(FAST_KIND_C) },
		{ MQTTP__PROPERTIES(FAST_KIND_W) },
		{ MQTTP__PROPERTIES(FAST_KIND_A) },
		{ MQTTP__PROPERTIES(FAST_KIND_P) },
	},
	{ { MQTTP__PROPERTIES(FAST_SLOT) }, { MQTTP__PUBLISH_FIELDS(FAST_PSLOT) } },
};
#undef FAST_PSLOT
#undef FAST_SLOT
#undef FAST_KIND_P
#undef FAST_KIND_A
#undef FAST_KIND_W
#undef FAST_KIND_C
#undef FAST_HI16
#undef FAST_HI4
#undef FAST_BIT4

/* The tables through a register that the compiler must keep, so that one
 * base serves every table (it otherwise loads each address again). */
FAST_INLINE const struct fast_tables *fast_tables(void)
{
	const struct fast_tables *t = &fast_tab;

#if defined(__GNUC__)
	__asm__("" : "+r"(t));
#endif
	return t;
}

/*
 * A property block's seen bits before its first property: every id that
 * fast_tab.kind does not list for that part, and bit 63, so that such an
 * id fails the walk's repeat test and its dispatch needs no FK_NONE test.
 */
#define FAST_LISTED(part, id, type, packets, range) (FAST_KIND(part, packets, type, range) != FK_NONE ? 1ull << (id) : 0)
#define FAST_SEEN_C(id, type, packets, rep, range, slot, name) | FAST_LISTED(MQTTP__PK(MQTTP_CONNECT), id, type, packets, range)
#define FAST_SEEN_W(id, type, packets, rep, range, slot, name) | FAST_LISTED(MQTTP__PK_WILL, id, type, packets, range)
#define FAST_SEEN_A(id, type, packets, rep, range, slot, name) | FAST_LISTED(MQTTP__PK(MQTTP_CONNACK), id, type, packets, range)
#define FAST_SEEN_P(id, type, packets, rep, range, slot, name) | FAST_LISTED(MQTTP__PK(MQTTP_PUBLISH), id, type, packets, range)
static const uint64_t fast_seen0[4] = {
	~(0 MQTTP__PROPERTIES(FAST_SEEN_C)),
	~(0 MQTTP__PROPERTIES(FAST_SEEN_W)),
	~(0 MQTTP__PROPERTIES(FAST_SEEN_A)),
	~(0 MQTTP__PROPERTIES(FAST_SEEN_P)),
};
#undef FAST_SEEN_P
#undef FAST_SEEN_A
#undef FAST_SEEN_W
#undef FAST_SEEN_C
#undef FAST_LISTED

/* One property at `at` inside a block ending at bend, for fast_props()
 * (what fast_walk() leaves): where it ends, or NULL. */
FAST_INLINE const uint8_t *fast_prop(const uint8_t *d, const uint8_t *at, const uint8_t *bend, const struct fast_tables *t,
                          unsigned where, uint64_t *seen, unsigned *users, uint8_t *pr)
{
	const uint8_t *v;
	size_t id = *at++;
	unsigned kind = t->kind[where][id];
	uint32_t x, n;

	if (kind - 1u < FK_U32NZ) { /* FK_FLAG .. FK_U32NZ (FK_NONE wraps) */
		/* id <= MQTTP_PROP_MAX here */
		if (*seen & t->bit[id])
			return NULL; /* a single-valued property repeated */
		*seen |= t->bit[id];
		if (kind == FK_FLAG) {
			if (at >= bend || at[0] > 1)
				return NULL;
			if (pr)
				*(pr + t->slot[FAST_SLOTS(where)][id]) = at[0];
			at += 1;
		} else if (kind <= FK_U16NZ) {
			uint16_t x16;

			if (bend - at < 2)
				return NULL;
			x = load_be16(at);
			at += 2;
			if (x == 0 && kind == FK_U16NZ)
				return NULL;
			x16 = (uint16_t)x;
			if (pr)
				memcpy(pr + t->slot[FAST_SLOTS(where)][id], &x16, 2);
		} else {
			if (bend - at < 4)
				return NULL;
			x = load_be32(at);
			at += 4;
			if (x == 0 && kind == FK_U32NZ)
				return NULL;
			if (pr)
				memcpy(pr + t->slot[FAST_SLOTS(where)][id], &x, 4);
		}
		return at;
	}
	if (kind == FK_PAIR) {
		if (!fast_str(d, &at, bend, &v, &n, 0) || !fast_str(d, &at, bend, &v, &n, 0))
			return NULL;
		++*users;
		return at;
	}
	if (kind == FK_NONE || (*seen & t->bit[id]))
		return NULL;
	*seen |= t->bit[id];
	if (kind == FK_BIN) {
		if (!fast_bin(&at, bend, &v, &n))
			return NULL;
	} else if (!fast_str(d, &at, bend, &v, &n, kind == FK_TOPIC) || (kind == FK_TOPIC && n == 0)) {
		return NULL;
	}
	if (pr)
		fast_store((struct mqttp_bytes *)(void *)(pr + t->slot[FAST_SLOTS(where)][id]), d, v, n);
	return at;
}

/*
 * The properties from at on that start before limit, for fast_props():
 * returns where the first one it leaves to fast_prop() starts (binary
 * and topic values; or limit, or past it), NULL on an error. The 4 bytes
 * after limit are the packet's, so no integer needs a bounds test;
 * strings are bounded by bend. A block per kind, each ending with the
 * next property's dispatch, so that a property costs one taken branch.
 */
#define FAST_WALK_NEXT(size)                          \
	do {                                          \
		at += (size);                         \
		if (at >= limit)                      \
			goto out;                     \
		id = at[0];                           \
		kind = t->kind[where][id];            \
		if (kind == FK_FLAG)                  \
			goto flag;                    \
		if (kind <= FK_U16NZ) /* FK_NONE */   \
			goto u16;                     \
		if (kind <= FK_U32NZ)                 \
			goto u32;                     \
		if (kind == FK_PAIR)                  \
			goto pair;                    \
		if (kind == FK_STR)                   \
			goto str;                     \
		goto out;                             \
	} while (0)

FAST_INLINE const uint8_t *fast_walk(const uint8_t *d, const uint8_t *at, const uint8_t *limit,
                                     const uint8_t *bend, const struct fast_tables *t, unsigned where, uint64_t *seenp,
                                     unsigned *users, uint8_t *pr, unsigned far)
{
	uint64_t seen = *seenp, bit;
	const uint8_t *v;
	size_t id; /* as wide as a pointer: no extension when indexing */
	unsigned kind;
	uint32_t n;

	FAST_WALK_NEXT(0);
flag:
	/* a listed id here (an unlisted one, FK_NONE, fails the u16 block's
	 * repeat test before its slot is read), so id <= MQTTP_PROP_MAX */
	bit = t->bit[id];
	if (FAST_BAD((seen & bit) || at[1] > 1))
		return NULL; /* repeated, or not 0 or 1 */
	seen |= bit;
	if (pr)
		*(pr + t->slot[FAST_SLOTS(where)][id]) = at[1];
	FAST_WALK_NEXT(2);
u16: {
	uint16_t raw, x;

	/* the zero test on the raw bytes, and "x == 0 && kind == FK_U16NZ"
	 * as one test: no branch taken on a valid value */
	memcpy(&raw, at + 1, 2);
	bit = t->bit[id];
	if (FAST_BAD(seen & bit) || FAST_BAD(((unsigned)raw | (kind ^ FK_U16NZ)) == 0))
		return NULL;
	seen |= bit;
	if (pr) {
		x = (uint16_t)load_be16(at + 1);
		memcpy(pr + t->slot[FAST_SLOTS(where)][id], &x, 2);
	}
	FAST_WALK_NEXT(3);
}
u32: {
	uint32_t raw, x;

	memcpy(&raw, at + 1, 4);
	bit = t->bit[id];
	if (FAST_BAD(seen & bit) || FAST_BAD((raw | (kind ^ FK_U32NZ)) == 0))
		return NULL;
	seen |= bit;
	if (pr) {
		x = load_be32(at + 1);
		memcpy(pr + t->slot[FAST_SLOTS(where)][id], &x, 4);
	}
	FAST_WALK_NEXT(5);
}
pair:
	at++;
	/* the key's length is before limit + 3; with FS_FAR (a CONNECT's or
	 * a will's block) 2 bytes follow bend, so the value's length too */
	if (FAST_BAD(!fast_str_in(d, &at, bend, &v, &n, 0, far ? FS_LEN | FS_ONCE | far : FS_LEN) ||
	             !fast_str_in(d, &at, bend, &v, &n, 0, far ? FS_LEN | FS_ONCE | far : 0)))
		return NULL;
	++*users;
	FAST_WALK_NEXT(0);
str:
	bit = t->bit[id];
	if (FAST_BAD(seen & bit))
		return NULL;
	seen |= bit;
	at++;
	if (FAST_BAD(!fast_str_in(d, &at, bend, &v, &n, 0, FS_LEN | far)))
		return NULL;
	if (pr)
		fast_store((struct mqttp_bytes *)(void *)(pr + t->slot[FAST_SLOTS(where)][id]), d, v, n);
	FAST_WALK_NEXT(0);
out:
	*seenp = seen;
	return at;
}
#undef FAST_WALK_NEXT

/*
 * A property block at *q (its length first), for a packet part `where`
 * (FW_*): returns 1 and moves *q past it when every property is valid and
 * in the common form (printable ASCII strings), else 0; *nuser counts its
 * user properties; every property of `need` (bits by id) must be there.
 * With pr or pub (a one-shot decoder's zeroed struct), the
 * values are stored there as they are read; it may then hold some of them
 * when 0 is returned.
 */
FAST_INLINE int fast_props(const struct mqttp_parser *p, const uint8_t *d, const uint8_t **q,
                           const uint8_t *e, unsigned where, unsigned *nuser,
                           struct mqttp_properties *pr, struct mqttp_publish *pub, uint64_t need)
{
	uint8_t *base = pr ? (uint8_t *)pr : (uint8_t *)pub;
	/* the pinned base register only where it paid: the CONNACK's walk */
	const struct fast_tables *t = where == FW_CONNACK ? fast_tables() : &fast_tab;
	const uint8_t *at, *bend, *limit;
	uint64_t seen = fast_seen0[where];
	uint32_t bl;
	unsigned users = 0;
	/* for mqttp_feed: a CONNACK's block ends its packet [MQTT-3.2.2.3],
	 * so it must end at e (any other length is the state machine's) */
	const int ends_at_e = where == FW_CONNACK && !pr;

	if (!fast_vbi(q, e, &bl) || (ends_at_e ? bl != (size_t)(e - *q) : bl > (size_t)(e - *q)))
		return 0;
	at = *q;
	bend = ends_at_e ? e : at + bl;
	/* Integers before limit need no bounds tests: 4 packet bytes follow
	 * it. One that ends past bend makes at overshoot it, which the last
	 * test finds. (A CONNACK's block ends its packet.) */
	if (where != FW_CONNACK && FAST_GOOD(e - bend >= 4)) {
		limit = bend;
	} else {
		/* a CONNECT's client id, a will's topic or a PUBLISH's payload
		 * follows: with 2 bytes after bend, fast_walk's pair may read them */
		if (where != FW_CONNACK && e - bend < 2)
			return 0;
		limit = bl > 4 ? bend - 4 : at;
	}
	while (at < bend) {
		if (at < limit && (!(at = fast_walk(d, at, limit, bend, t, where, &seen, &users, base,
		                                    where == FW_CONNECT || where == FW_WILL ? FS_FAR : 0)) ||
		                  at >= bend))
			break;
		if (!(at = fast_prop(d, at, bend, t, where, &seen, &users, base)))
			return 0;
	}
	if (at != bend)
		return 0;
	/* rules.h: authentication data needs a method */
	if (FAST_BAD(MQTTP__AUTH_DATA_ALONE(seen)) ||
	    users > p->priv_max_user_properties || (seen & need) != need)
		return 0;
	*nuser = users;
	if (pr) {
		pr->present = (seen ^ fast_seen0[where]) | (users ? 1ull << 0x26 : 0);
		pr->user_property_count = users;
		fast_store(&pr->block, d, *q, bl);
	}
	if (pub) {
		pub->present = (seen ^ fast_seen0[where]) | (users ? 1ull << 0x26 : 0);
		pub->user_property_count = users;
		fast_store(&pub->props, d, *q, bl);
	}
	*q = bend;
	return 1;
}

/* Report the properties of a block fast_props() accepted. */
static void fast_emit_props(const struct sink *k, const uint8_t *d, uint8_t block_id, uint8_t prop_fid,
                            const struct fast_span *block)
{
	uint32_t at = block->off, bend = block->off + block->len;
	struct mqttp_field f;

	fast_emit_int(k, block_id, block->off, block->len, block->len);
	while (at < bend) {
		const struct mqttp_property_info *pi = &mqttp__prop_rules[d[at]].info;
		unsigned part, parts = pi->type == MQTTP_PT_STRING_PAIR ? 2 : 1;

		at++;
		f.id = prop_fid;
		f.prop_id = pi->id;
		f.flags = MQTTP_FRAG_FIRST | MQTTP_FRAG_LAST;
		f.frag_off = 0;
		if (pi->type <= MQTTP_PT_U32) {
			unsigned i, n = pi->type == MQTTP_PT_BYTE ? 1 : pi->type == MQTTP_PT_U16 ? 2 : 4;
			f.pair_part = 0;
			f.off = at;
			f.len = 0;
			f.frag = NULL;
			f.frag_len = 0;
			for (f.value = 0, i = 0; i < n; i++)
				f.value = f.value << 8 | d[at + i];
			at += n;
			k->cb(k->ctx, &f);
			continue;
		}
		for (part = 0; part < parts; part++) {
			uint32_t n = (uint32_t)d[at] << 8 | d[at + 1];
			at += 2;
			f.pair_part = (uint8_t)part;
			f.value = f.len = f.frag_len = n;
			f.off = at;
			f.frag = d + at;
			at += n;
			k->cb(k->ctx, &f);
		}
	}
}

/*
 * Connect flags a CONNECT may carry, generated from rules.h: bit 0 for
 * 3.1 / 3.1.1 (strict), bit 1 for 5.0; one load instead of five tests.
 */
#define FAST_CF(c) (uint8_t)((MQTTP__CONNECT_FLAGS_ERROR((c), 0, 0) == MQTTP_E_NONE) | \
                             (MQTTP__CONNECT_FLAGS_ERROR((c), 1, 0) == MQTTP_E_NONE) << 1)
#define FAST_CF4(c) FAST_CF(c), FAST_CF((c) + 1), FAST_CF((c) + 2), FAST_CF((c) + 3)
#define FAST_CF16(c) FAST_CF4(c), FAST_CF4((c) + 4), FAST_CF4((c) + 8), FAST_CF4((c) + 12)
#define FAST_CF64(c) FAST_CF16(c), FAST_CF16((c) + 16), FAST_CF16((c) + 32), FAST_CF16((c) + 48)
static const uint8_t fast_cf_ok[256] = { FAST_CF64(0), FAST_CF64(64), FAST_CF64(128), FAST_CF64(192) };
#undef FAST_CF64
#undef FAST_CF16
#undef FAST_CF4
#undef FAST_CF

/* What the events of a valid CONNECT need beyond the bytes. */
struct fast_connect {
	uint32_t hl;
	uint16_t keep_alive;
	uint8_t raw, cf;
};

/* Every value's place in a valid CONNECT (for its events). */
struct fast_walk {
	struct fast_span name, cid, wtopic, wpay, user, pass, props, wprops;
	uint32_t lvl_off;
};

/* A span for the 2-byte length prefixed value at d[*pos]; *pos moves past. */
static struct fast_span walk_value(const uint8_t *d, uint32_t *pos)
{
	struct fast_span sp;

	sp.len = load_be16(d + *pos);
	sp.off = *pos + 2;
	*pos = sp.off + sp.len;
	return sp;
}

/* A property block's span at d[*pos] (VBI length first); *pos moves past. */
static struct fast_span walk_block(const uint8_t *d, uint32_t *pos)
{
	struct fast_span sp;
	const uint8_t *q = d + *pos;
	uint32_t bl = 0;

	(void)fast_vbi(&q, q + 2, &bl);
	sp.off = (uint32_t)(q - d);
	sp.len = bl;
	*pos = sp.off + bl;
	return sp;
}

/* Walk a CONNECT that connect_fast() accepted. */
static void connect_walk(const uint8_t *d, const struct fast_connect *c, struct fast_walk *w)
{
	uint32_t pos = c->hl;
	unsigned v5 = (c->raw & 0x7F) == MQTTP_V5;

	memset(w, 0, sizeof(*w));
	w->name = walk_value(d, &pos);
	w->lvl_off = pos;
	pos += 4;
	if (v5)
		w->props = walk_block(d, &pos);
	w->cid = walk_value(d, &pos);
	if (c->cf & MQTTP_CF_WILL) {
		if (v5)
			w->wprops = walk_block(d, &pos);
		w->wtopic = walk_value(d, &pos);
		w->wpay = walk_value(d, &pos);
	}
	if (c->cf & MQTTP_CF_USERNAME)
		w->user = walk_value(d, &pos);
	if (c->cf & MQTTP_CF_PASSWORD)
		w->pass = walk_value(d, &pos);
}

/* Report the events of a CONNECT connect_fast() accepted. */
static FAST_NOINLINE void connect_emit(mqttp_field_cb cb, void *ctx, const uint8_t *d, const struct fast_connect *c)
{
	struct fast_walk w;
	struct sink k;

	k.cb = cb;
	k.ctx = ctx;
	connect_walk(d, c, &w);
	fast_emit_bytes(&k, d, MQTTP_F_PROTOCOL_NAME, &w.name);
	fast_emit_int(&k, MQTTP_F_PROTOCOL_LEVEL, w.lvl_off, c->raw, 0);
	fast_emit_int(&k, MQTTP_F_CONNECT_FLAGS, w.lvl_off + 1, c->cf, 0);
	fast_emit_int(&k, MQTTP_F_KEEP_ALIVE, w.lvl_off + 2, c->keep_alive, 0);
	if ((c->raw & 0x7F) == MQTTP_V5)
		fast_emit_props(&k, d, MQTTP_F_PROPERTIES, MQTTP_F_PROPERTY, &w.props);
	fast_emit_bytes(&k, d, MQTTP_F_CLIENT_ID, &w.cid);
	if (c->cf & MQTTP_CF_WILL) {
		if ((c->raw & 0x7F) == MQTTP_V5)
			fast_emit_props(&k, d, MQTTP_F_WILL_PROPERTIES, MQTTP_F_WILL_PROPERTY, &w.wprops);
		fast_emit_bytes(&k, d, MQTTP_F_WILL_TOPIC, &w.wtopic);
		fast_emit_bytes(&k, d, MQTTP_F_WILL_PAYLOAD, &w.wpay);
	}
	if (c->cf & MQTTP_CF_USERNAME)
		fast_emit_bytes(&k, d, MQTTP_F_USERNAME, &w.user);
	if (c->cf & MQTTP_CF_PASSWORD)
		fast_emit_bytes(&k, d, MQTTP_F_PASSWORD, &w.pass);
}

/* The rest of connect_fast(), from the connect flags on (q); lvl, the
 * protocol level, is a constant for 5.0, which gets its own code. */
FAST_INLINE uint32_t connect_rest(const struct mqttp_parser *cfg, struct mqttp_parser *p,
                                  const uint8_t *d, const uint8_t *q, const uint8_t *e, uint32_t rl,
                                  uint32_t hl, uint8_t lvl, mqttp_field_cb cb, void *ctx,
                                  struct mqttp_connect *out)
{
	const uint8_t *v;
	uint32_t n;
	uint8_t cf, raw;
	uint16_t keep_alive;
	unsigned users = 0, wusers = 0;

	raw = q[0];
	cf = q[1];
	if ((raw & 0x80) && (cfg->priv_checks & MQTTP_CHECK_NO_BRIDGE))
		return 0;
	if (!(fast_cf_ok[cf] & (lvl == MQTTP_V5 ? 2 : 1)))
		return 0;
	keep_alive = (uint16_t)load_be16(q + 2);
	/*
	 * What is known is stored now, so fewer values stay live. Declining
	 * may leave these in *out (the slow decoder clears it again) and in
	 * *p: only fields that mqttp__packet_begin() resets, which the state
	 * machine calls first, and the version, which level_read() stores.
	 */
	if (out) {
		out->bridge = raw >> 7;
		out->flags = cf;
		out->will_qos = (cf & MQTTP_CF_WILL_QOS_MASK) >> 3;
		out->keep_alive = keep_alive;
	}
	if (p) {
		p->remaining_length = rl;
		p->offset = hl + rl;
		p->keep_alive = keep_alive;
		p->header_len = (uint8_t)hl;
		p->bridge = raw >> 7;
		p->connect_flags = cf;
		if (lvl == MQTTP_V5) /* a constant here; the others store it last */
			p->version = lvl;
		else /* 5.0 stores its count after the property block */
			p->user_properties = 0;
	}
	q += 4;
	if (lvl == MQTTP_V5) {
		if (!fast_props(cfg, d, &q, e, FW_CONNECT, &users, out ? &out->props : NULL, NULL, 0))
			return 0;
		if (p)
			p->user_properties = (uint16_t)users;
	}
	if (!fast_str(d, &q, e, &v, &n, 0))
		return 0;
	if (MQTTP__CLIENT_ID_ERROR(lvl, cf, n, cfg->priv_lenient & MQTTP_LENIENT_V31_LONG_CLIENT_ID,
	                           cfg->priv_max_client_id_len) != MQTTP_E_NONE)
		return 0;
	if (out)
		fast_store(&out->client_id, d, v, n);
	if (p) {
		p->client_id_off = (uint32_t)(v - d);
		p->client_id_len = (uint16_t)n;
	}
	if (FAST_BAD(cf & MQTTP_CF_WILL)) {
		if (lvl == MQTTP_V5) {
			/* the users counted and checked here, so that none stay
			 * live through a 3.1.1 packet */
			if (!fast_props(cfg, d, &q, e, FW_WILL, &wusers, out ? &out->will_props : NULL, NULL, 0))
				return 0;
			users += wusers;
			if (users > cfg->priv_max_user_properties)
				return 0;
			if (p)
				p->user_properties = (uint16_t)users;
		}
		if (!fast_str_in(d, &q, e, &v, &n, 1, FS_FAR | FS_ONCE) || n == 0)
			return 0;
		if (out)
			fast_store(&out->will_topic, d, v, n);
		if (!fast_bin(&q, e, &v, &n))
			return 0;
		if (out)
			fast_store(&out->will_payload, d, v, n);
	}
	if (cf & MQTTP_CF_USERNAME) {
		/* FS_FAR: the client id ends 14 or more bytes in */
		if (!fast_str_in(d, &q, e, &v, &n, 0, FS_FAR | FS_ONCE))
			return 0;
		if (out)
			fast_store(&out->username, d, v, n);
	}
	if (cf & MQTTP_CF_PASSWORD) {
		if (!fast_bin(&q, e, &v, &n))
			return 0;
		if (out)
			fast_store(&out->password, d, v, n);
	}
	if (q != e)
		return 0;
	if (out)
		out->version = lvl;
	if (p) {
		/* Valid: the rest of what the state machine would leave (the
		 * public fields packet_begin() resets, then what the packet set;
		 * its private fields only matter to the state machine, which
		 * resets them on the next packet's first byte). */
		p->have = MQTTP_HAVE_HEADER | MQTTP_HAVE_VERSION | MQTTP_HAVE_FLAGS |
		          MQTTP_HAVE_KEEP_ALIVE | MQTTP_HAVE_CLIENT_ID;
		p->type = MQTTP_CONNECT;
		p->header_flags = 0;
		if (lvl != MQTTP_V5)
			p->version = lvl;
		p->connack_flags = 0;
		p->reason_code = 0;
		if (cb) {
			struct fast_connect c;

			c.hl = p->header_len;
			c.keep_alive = p->keep_alive;
			c.raw = (uint8_t)(lvl | p->bridge << 7);
			c.cf = cf;
			connect_emit(cb, ctx, d, &c);
		}
	}
	return (uint32_t)(e - d);
}

/*
 * A whole CONNECT in d[0, avail) in its common form, checked with the
 * options in cfg: returns its length, else 0 (then nothing was written
 * but, with out, some of *out). Then either the parser p is left as the
 * state machine would leave it (and the events go to cb), or, with out
 * (a one-shot decoder's zeroed struct), every field is stored there.
 * One function with only local state, specialised by the inlining on
 * p / out being NULL.
 */
FAST_INLINE uint32_t connect_fast(const struct mqttp_parser *cfg, struct mqttp_parser *p,
                                  const uint8_t *d, size_t avail, mqttp_field_cb cb, void *ctx,
                                  struct mqttp_connect *out)
{
	const uint8_t *q, *e;
	uint32_t rl, hl;
	uint8_t lvl;

	if (avail < 14 || (cfg->priv_checks & MQTTP_CHECK_FROM_SERVER) ||
	    ((cfg->priv_checks & MQTTP_CHECK_FROM_CLIENT) && cfg->packets != 0) ||
	    !fast_header(d, avail, &rl, &hl) ||
	    mqttp__too_large(cfg->priv_max_packet_size, hl, rl))
		return 0;
	q = d + hl;
	e = q + rl;
	/* The protocol name with its length, then the level it allows. */
	if (FAST_GOOD(rl >= 10 && memcmp(q, MQTTP__NAME_MQTT, 6) == 0)) {
		if (out)
			fast_store(&out->protocol_name, d, q + 2, 4);
		q += 6;
		lvl = q[0] & 0x7F;
		/* 5.0 gets its own code and registers */
		if (lvl == MQTTP_V5)
			return connect_rest(cfg, p, d, q, e, rl, hl, MQTTP_V5, cb, ctx, out);
		if (lvl != MQTTP_V311)
			return 0;
	} else if (rl >= 12 && memcmp(q, MQTTP__NAME_MQISDP, 8) == 0) {
		if (out)
			fast_store(&out->protocol_name, d, q + 2, 6);
		q += 8;
		lvl = q[0] & 0x7F;
		if (lvl != MQTTP_V31)
			return 0;
	} else {
		return 0;
	}
	return connect_rest(cfg, p, d, q, e, rl, hl, lvl, cb, ctx, out);
}

/* The rest of connack_check(), from the acknowledge flags on, for a
 * packet of `end` bytes read as version v. */
FAST_INLINE uint32_t connack_rest(const struct mqttp_parser *p, const uint8_t *d, uint32_t end, unsigned v,
                                  unsigned *users, struct mqttp_properties *pr)
{
	const uint8_t *q = d + 4;
	uint8_t fl = d[2], rc = d[3];

	if (MQTTP__CONNACK_FLAGS_BAD(fl) || MQTTP__SESSION_PRESENT_BAD(fl, rc) ||
	    (rc && !mqttp_connack_code_valid(v, rc)))
		return 0;
	if (v == MQTTP_V5 && !fast_props(p, d, &q, d + end, FW_CONNACK, users, pr, NULL, 0))
		return 0;
	return q == d + end ? end : 0;
}

/* A whole CONNACK in its common form; same contract as connect_fast(),
 * *version set to the version it was read as. */
FAST_INLINE uint32_t connack_check(const struct mqttp_parser *p, const uint8_t *d, size_t avail,
                                   unsigned *users, unsigned *version, struct mqttp_properties *pr)
{
	uint32_t rl, end;
	unsigned v = p->version;

	if (avail < 4 || (p->priv_checks & MQTTP_CHECK_FROM_CLIENT) || (d[1] & 0x80))
		return 0;
	rl = d[1];
	end = 2 + rl;
	if (rl > avail - 2 || mqttp__too_large(p->priv_max_packet_size, 2, rl))
		return 0;
	if (!v)
		v = rl == 2 ? MQTTP_V311 : MQTTP_V5;
	*users = 0;
	*version = v;
	/* 5.0 gets its own code and registers */
	if (v == MQTTP_V5)
		return rl > 2 ? connack_rest(p, d, end, MQTTP_V5, users, pr) : 0;
	return rl == 2 ? connack_rest(p, d, end, v, users, pr) : 0;
}

static FAST_NOINLINE void connack_emit(mqttp_field_cb cb, void *ctx, const uint8_t *d, unsigned version)
{
	struct sink sk = { cb, ctx }, *k = &sk;

	fast_emit_int(k, MQTTP_F_CONNACK_FLAGS, 2, d[2], 0);
	fast_emit_int(k, MQTTP_F_REASON_CODE, 3, d[3], 0);
	if (version == MQTTP_V5) {
		uint32_t pos = 4;
		struct fast_span props = walk_block(d, &pos);

		fast_emit_props(k, d, MQTTP_F_PROPERTIES, MQTTP_F_PROPERTY, &props);
	}
}

FAST_INLINE uint32_t connack_fast(struct mqttp_parser *p, const uint8_t *d, size_t avail,
                                  mqttp_field_cb cb, void *ctx)
{
	unsigned users, version;
	uint32_t end = connack_check(p, d, avail, &users, &version, NULL);

	if (!end)
		return 0;
	mqttp__packet_begin(p, MQTTP_CONNACK, 0);
	p->header_len = 2;
	p->remaining_length = end - 2;
	p->offset = end;
	p->have = MQTTP_HAVE_HEADER | MQTTP_HAVE_VERSION | MQTTP_HAVE_CONNACK;
	p->user_properties = (uint16_t)users;
	p->connack_flags = d[2];
	p->reason_code = d[3];
	p->version = (uint8_t)version;
	if (cb)
		connack_emit(cb, ctx, d, version);
	return end;
}

static FAST_NOINLINE enum mqttp_status publish_emit(mqttp_field_cb cb, void *ctx, const uint8_t *d,
                                      const struct mqttp_parser *p)
{
	struct sink sk = { cb, ctx }, *k = &sk;
	uint32_t pos = p->header_len;
	struct fast_span topic = walk_value(d, &pos), payload;

	fast_emit_bytes(k, d, MQTTP_F_TOPIC_NAME, &topic);
	if (p->header_flags & 6) {
		fast_emit_int(k, MQTTP_F_PACKET_ID, pos, load_be16(d + pos), 0);
		pos += 2;
	}
	if (p->version == MQTTP_V5) {
		struct fast_span props = walk_block(d, &pos);

		fast_emit_props(k, d, MQTTP_F_PROPERTIES, MQTTP_F_PROPERTY, &props);
	}
	payload.off = pos;
	payload.len = p->header_len + p->remaining_length - pos;
	if (payload.len)
		fast_emit_bytes(k, d, MQTTP_F_PAYLOAD, &payload);
	else /* as machine.c reports an empty payload */
		fast_emit_int(k, MQTTP_F_PAYLOAD, pos, 0, 0);
	return MQTTP_DONE;
}

/* Options as a parser would hold them, for the one-shot fast checks
 * (only the fields they read). */
FAST_INLINE void fast_options(struct mqttp_parser *q, const struct mqttp_options *opt,
                              uint32_t dir, uint32_t other, int keep_version)
{
	q->priv_lenient = opt ? (uint8_t)(opt->lenient & MQTTP_LENIENT_ALL) : 0;
	q->priv_checks = (uint8_t)(((opt ? opt->checks : 0) | dir) & ~other & 7u);
	q->priv_max_packet_size = opt ? opt->max_packet_size : 0;
	q->priv_max_client_id_len = opt ? opt->max_client_id_len : 0;
	q->priv_max_user_properties = opt && opt->max_user_properties ? opt->max_user_properties
	                                                         : MQTTP_DEFAULT_MAX_USER_PROPERTIES;
	q->version = keep_version && opt ? opt->version : 0;
	q->packets = 0;
}

enum mqttp_status mqttp__decode_connect_fast(const uint8_t *d, size_t len, const struct mqttp_options *opt,
                                             struct mqttp_connect *out, struct mqttp_result *res)
{
	struct mqttp_parser q;
	uint32_t end;

	memset(out, 0, mqttp__connect_size);
	if (len == 0 || d[0] != 0x10)
		return mqttp__decode_connect_slow(d, len, opt, out, res);
	fast_options(&q, opt, MQTTP_CHECK_FROM_CLIENT, MQTTP_CHECK_FROM_SERVER, 0);
	end = connect_fast(&q, NULL, d, len, NULL, NULL, out);
	if (!end)
		return mqttp__decode_connect_slow(d, len, opt, out, res);
	res->type = MQTTP_CONNECT;
	res->error = MQTTP_E_NONE;
	res->error_offset = 0;
	res->length = end;
	return MQTTP_DONE;
}

enum mqttp_status mqttp__decode_connack_fast(const uint8_t *d, size_t len, const struct mqttp_options *opt,
                                             struct mqttp_connack *out, struct mqttp_result *res)
{
	struct mqttp_parser q;
	unsigned users, version;
	uint32_t end;

	memset(out, 0, mqttp__connack_size);
	if (len == 0 || d[0] != 0x20)
		return mqttp__decode_connack_slow(d, len, opt, out, res);
	fast_options(&q, opt, MQTTP_CHECK_FROM_SERVER, MQTTP_CHECK_FROM_CLIENT, 1);
	end = connack_check(&q, d, len, &users, &version, &out->props);
	if (!end)
		return mqttp__decode_connack_slow(d, len, opt, out, res);
	out->flags = d[2];
	out->session_present = d[2] & 1;
	out->reason_code = d[3];
	res->type = MQTTP_CONNACK;
	res->error = MQTTP_E_NONE;
	res->error_offset = 0;
	res->length = end;
	return MQTTP_DONE;
}

/* A valid PUBLISH taken by a fast path: the parser as the state machine
 * leaves it, then its events. */
FAST_INLINE enum mqttp_status publish_done(struct mqttp_parser *p, const uint8_t *d, size_t *consumed,
                                           mqttp_field_cb cb, void *ctx, unsigned flags, uint32_t hl,
                                           uint32_t rl, unsigned users)
{
	/* the private fields only matter to the state machine, which resets
	 * them on the next packet's first byte */
	mqttp__packet_public(p, MQTTP_PUBLISH, flags);
	p->user_properties = (uint16_t)users;
	p->remaining_length = rl;
	p->offset = hl + rl;
	p->have = MQTTP_HAVE_HEADER;
	p->header_len = (uint8_t)hl;
	/* st and sub are already ST_TYPE and R_NONE */
	*consumed = hl + rl;
	p->packets++;
	p->status = MQTTP_DONE;
	if (cb)
		return publish_emit(cb, ctx, d, p);
	return MQTTP_DONE;
}

/* A PUBLISH's flag nibble, generated from rules.h: 0 when not allowed,
 * else 1 + the length of its packet identifier (one load for the test
 * and the length). */
#define FAST_PF(f) (uint8_t)(MQTTP__PUBLISH_FLAGS_ERROR(f) != MQTTP_E_NONE ? 0 : ((f) & 6) ? 3 : 1)
#define FAST_PF4(f) FAST_PF(f), FAST_PF((f) + 1), FAST_PF((f) + 2), FAST_PF((f) + 3)
static const uint8_t fast_pub_flags[16] = { FAST_PF4(0), FAST_PF4(4), FAST_PF4(8), FAST_PF4(12) };
#undef FAST_PF4
#undef FAST_PF

/* A packet's first byte: its fast path, else the state machine. One
 * function per type, so that each gets the registers it needs.
 * publish_long: any PUBLISH; publish_start below takes the short ones. */
static FAST_NOINLINE enum mqttp_status publish_long(struct mqttp_parser *p, const uint8_t *d, size_t len,
                                                    size_t *consumed, mqttp_field_cb cb, void *ctx)
{
	unsigned flags = d[0] & 0x0Fu, pidlen = (flags & 6) ? 2u : 0u;
	uint32_t rl, hl, n;

	unsigned users = 0;
	const uint8_t *q;

	/* publish_fast() written out, its events last: only tail calls here */
	if (!fast_pub_flags[flags] ||
	    (p->packets == 0 && (p->priv_checks & (MQTTP_CHECK_FROM_CLIENT | MQTTP_CHECK_FROM_SERVER))) ||
	    !fast_header(d, len, &rl, &hl) ||
	    mqttp__too_large(p->priv_max_packet_size, hl, rl) ||
	    rl < 2u + pidlen) /* length_ok() for PUBLISH */
		return mqttp__machine_feed(p, d, len, consumed, cb, ctx);
	n = load_be16(d + hl);
	/* an empty topic only in 5.0, with a Topic Alias (fast_props' need) */
	if (n > rl - 2u - pidlen || (n == 0 && !MQTTP__EMPTY_TOPIC_OK(p->version)) ||
	    (n && mqttp__cc_run_bad(d, d + hl + 2, n, d + hl + rl, 1)) ||
	    (pidlen && load_be16(d + hl + 2 + n) == 0))
		return mqttp__machine_feed(p, d, len, consumed, cb, ctx);
	/* 5.0: the properties [MQTT-3.3.2.3], as in a CONNECT */
	q = d + hl + 2 + n + pidlen;
	if (p->version == MQTTP_V5 &&
	    !fast_props(p, d, &q, d + hl + rl, FW_PUBLISH, &users, NULL, NULL, n ? 0 : 1ull << 0x23))
		return mqttp__machine_feed(p, d, len, consumed, cb, ctx);
	return publish_done(p, d, consumed, cb, ctx, flags, hl, rl, users);
}

/* Is the topic d[4, 4 + n) (1 <= n, inside d[0, len)) printable ASCII
 * without '+' and '#'? 0 also when it is not the short common case (n >
 * 32, or fewer than 20 bytes in the buffer): then mqttp__cc_run_bad()
 * decides. One or two 16-byte loads inside the buffer, no loop. */
FAST_INLINE int publish_topic_ok(const uint8_t *d, uint32_t n, size_t len)
{
#if defined(__SSE2__)
	__m128i g;

	if (n > 32 || len < 20)
		return 0;
	g = mqttp__cc_vec_good(_mm_loadu_si128((const __m128i *)(const void *)(d + 4)), 1);
	if (n > 16)
		g = _mm_and_si128(g, mqttp__cc_vec_good(_mm_loadu_si128((const __m128i *)(const void *)(d + n - 12)), 1));
	return (~(unsigned)_mm_movemask_epi8(g) & (0xFFFFu >> (n > 16 ? 0 : 16 - n))) == 0;
#else
	(void)len;
	return !mqttp__cc_run_bad(d, d + 4, n, d + 4 + n, 1);
#endif
}

/*
 * A whole PUBLISH with a 1-byte remaining length and a non-empty topic:
 * publish_long()'s checks with few live values; anything else goes there.
 */
FAST_INLINE enum mqttp_status publish_begin(struct mqttp_parser *p, const uint8_t *d, size_t len,
                                            size_t *consumed, mqttp_field_cb cb, void *ctx)
{
	unsigned flags = d[0] & 0x0Fu, fl = fast_pub_flags[flags];
	uint32_t rl, pidlen = fl & 2u, n;

	if (len < 4)
		return publish_long(p, d, len, consumed, cb, ctx);
	rl = d[1];
	if (!fl || rl >= 0x80 || rl > len - 2 ||
	    rl < 2u + pidlen || mqttp__too_large(p->priv_max_packet_size, 2, rl) || p->version == MQTTP_V5 ||
	    (p->packets == 0 && (p->priv_checks & (MQTTP_CHECK_FROM_CLIENT | MQTTP_CHECK_FROM_SERVER))))
		return publish_long(p, d, len, consumed, cb, ctx);
	n = load_be16(d + 2);
	if (n == 0 || n > rl - 2u - pidlen || !publish_topic_ok(d, n, len) ||
	    (pidlen && load_be16(d + 4 + n) == 0))
		return publish_long(p, d, len, consumed, cb, ctx);
	return publish_done(p, d, consumed, cb, ctx, flags, 2, rl, 0);
}

typedef char fast_clear_check[sizeof(struct mqttp_publish) > 160 && sizeof(struct mqttp_publish) <= 176 ? 1 : -1];
/* Zero a struct mqttp_publish: 16-byte stores (memset of this size is a
 * `rep stos`, slow to start, or a call). */
FAST_INLINE void fast_clear_publish(struct mqttp_publish *out)
{
#if defined(__SSE2__)
	/* written out: gcc turns a loop of them back into `rep stos` */
	unsigned char *c = (unsigned char *)out;
	__m128i z = _mm_setzero_si128();

	_mm_storeu_si128((__m128i *)(void *)c, z);
	_mm_storeu_si128((__m128i *)(void *)(c + 16), z);
	_mm_storeu_si128((__m128i *)(void *)(c + 32), z);
	_mm_storeu_si128((__m128i *)(void *)(c + 48), z);
	_mm_storeu_si128((__m128i *)(void *)(c + 64), z);
	_mm_storeu_si128((__m128i *)(void *)(c + 80), z);
	_mm_storeu_si128((__m128i *)(void *)(c + 96), z);
	_mm_storeu_si128((__m128i *)(void *)(c + 112), z);
	_mm_storeu_si128((__m128i *)(void *)(c + 128), z);
	_mm_storeu_si128((__m128i *)(void *)(c + 144), z);
	_mm_storeu_si128((__m128i *)(void *)(c + sizeof(*out) - 16), z);
#else
	memset(out, 0, sizeof(*out));
#endif
}

/* QoS, retain and DUP of a PUBLISH's flag nibble as the first four bytes
 * of a struct mqttp_publish hold them (payload format indicator 0). */
#define FAST_PB(f) (uint32_t)(((f) >> 1 & 3) | ((f) & 1) << 8 | ((f) >> 3) << 16)
#if MQTTP__LE
#define FAST_PB4(f) FAST_PB(f), FAST_PB((f) + 1), FAST_PB((f) + 2), FAST_PB((f) + 3)
static const uint32_t fast_pub_bytes[16] = { FAST_PB4(0), FAST_PB4(4), FAST_PB4(8), FAST_PB4(12) };
#undef FAST_PB4
#endif
typedef char fast_pub_bytes_check[offsetof(struct mqttp_publish, qos) == 0 &&
                                  offsetof(struct mqttp_publish, retain) == 1 &&
                                  offsetof(struct mqttp_publish, dup) == 2 &&
                                  offsetof(struct mqttp_publish, payload_format_indicator) == 3 ? 1 : -1];

/* The rest of mqttp__decode_publish_fast() for 5.0, from the property
 * block at `at` on; *res is already the packet's. Its own function, which
 * the 3.1.1 path does not enter, so that neither keeps values across a
 * call (it returns or tail-calls). */
static FAST_NOINLINE enum mqttp_status publish_v5_rest(const uint8_t *d, size_t len, const struct mqttp_options *opt,
                                                       struct mqttp_publish *out, struct mqttp_result *res,
                                                       const uint8_t *at)
{
	const uint8_t *e = d + res->length;
	struct mqttp_parser q;
	unsigned users;

	/* the one option fast_props() reads */
	q.priv_max_user_properties = opt->max_user_properties ? opt->max_user_properties
	                                                      : MQTTP_DEFAULT_MAX_USER_PROPERTIES;
	/* an empty topic stands for the Topic Alias's [MQTT-3.3.2-12] */
	if (!fast_props(&q, d, &at, e, FW_PUBLISH, &users, NULL, out, out->topic.len ? 0 : 1ull << 0x23))
		return mqttp__decode_publish_slow(d, len, opt, out, res);
	fast_store(&out->payload, d, at, (uint32_t)(e - at));
	return MQTTP_DONE;
}

/*
 * mqttp_decode_publish: a whole PUBLISH whose strings are printable ASCII,
 * with the properties fast_props() reads, straight into *out;
 * anything else (and every error) is the state machine's.
 */
enum mqttp_status mqttp__decode_publish_fast(const uint8_t *d, size_t len, const struct mqttp_options *opt,
                                             struct mqttp_publish *out, struct mqttp_result *res)
{
	unsigned flags, fl;
	uint32_t rl, hl, n, pidlen;
	const uint8_t *at, *e;

	fast_clear_publish(out);
	if (len < 4 || (d[0] >> 4) != MQTTP_PUBLISH)
		return mqttp__decode_publish_slow(d, len, opt, out, res);
	flags = d[0] & 0x0Fu;
	fl = fast_pub_flags[flags];
	pidlen = fl & 2u;
	if (!fl || !fast_header(d, len, &rl, &hl) || rl < 2u + pidlen ||
	    mqttp__too_large(opt ? opt->max_packet_size : 0, hl, rl))
		return mqttp__decode_publish_slow(d, len, opt, out, res);
	e = d + hl + rl;
	n = load_be16(d + hl);
	at = d + hl + 2;
	/* an empty topic only in 5.0, with a Topic Alias (publish_v5_rest) */
	if (n > rl - 2u - pidlen || (n ? mqttp__cc_run_bad(d, at, n, e, 1) != 0 : !opt || opt->version != MQTTP_V5))
		return mqttp__decode_publish_slow(d, len, opt, out, res);
	fast_store(&out->topic, d, at, n);
	at += n;
	if (pidlen) {
		out->packet_id = (uint16_t)load_be16(at);
		if (out->packet_id == 0)
			return mqttp__decode_publish_slow(d, len, opt, out, res);
		at += 2;
	}
#if MQTTP__LE
	memcpy(out, &fast_pub_bytes[flags], 4);
#else
	out->qos = (uint8_t)((flags >> 1) & 3);
	out->retain = (uint8_t)(flags & 1);
	out->dup = (uint8_t)(flags >> 3);
#endif
	/* the packet's result now: the slow decoder rewrites it if it must */
	res->type = MQTTP_PUBLISH;
	res->error = MQTTP_E_NONE;
	res->error_offset = 0;
	res->length = hl + rl;
	if (opt && opt->version == MQTTP_V5)
		return publish_v5_rest(d, len, opt, out, res, at);
	fast_store(&out->payload, d, at, (uint32_t)(e - at));
	return MQTTP_DONE;
}

/* After a fast path's verdict n (the packet's length, or 0: the state
 * machine decides): the stream's bookkeeping, `set` added to its checks. */
FAST_INLINE enum mqttp_status fast_done(struct mqttp_parser *p, const uint8_t *d, size_t len,
                                        size_t *consumed, mqttp_field_cb cb, void *ctx,
                                        uint32_t n, uint8_t set)
{
	if (!n)
		return mqttp__machine_feed(p, d, len, consumed, cb, ctx);
	*consumed = n;
	p->packets++;
	/* read again (volatile), so that the value the checks began with
	 * need not stay live through the whole packet */
	if (set)
		p->priv_checks = (uint8_t)(*(volatile const uint8_t *)&p->priv_checks | set);
	p->status = MQTTP_DONE;
	return MQTTP_DONE;
}

FAST_INLINE enum mqttp_status connect_begin(struct mqttp_parser *p, const uint8_t *d, size_t len,
                                            size_t *consumed, mqttp_field_cb cb, void *ctx)
{
	/* the stream's version is now known */
	return fast_done(p, d, len, consumed, cb, ctx, connect_fast(p, p, d, len, cb, ctx, NULL), K_VERSION_SET);
}

FAST_INLINE enum mqttp_status connack_begin(struct mqttp_parser *p, const uint8_t *d, size_t len,
                                            size_t *consumed, mqttp_field_cb cb, void *ctx)
{
	return fast_done(p, d, len, consumed, cb, ctx, connack_fast(p, d, len, cb, ctx), 0);
}

/* Each fast path twice, with and without a callback: without one, two
 * fewer arguments stay live through the checks. */
#define FAST_START(name, begin)                                                                   \
	static FAST_ENTRY enum mqttp_status name(struct mqttp_parser *p, const uint8_t *d,         \
	                                            size_t len, size_t *consumed, mqttp_field_cb cb, \
	                                            void *ctx)                                     \
	{                                                                                          \
		return begin(p, d, len, consumed, cb, ctx);                                        \
	}                                                                                          \
	static FAST_ENTRY enum mqttp_status name##_bare(struct mqttp_parser *p, const uint8_t *d,    \
	                                                   size_t len, size_t *consumed)            \
	{                                                                                          \
		return begin(p, d, len, consumed, NULL, NULL);                                     \
	}
FAST_START(publish_start, publish_begin)
FAST_START(connect_start, connect_begin)
FAST_START(connack_start, connack_begin)

/* Bytes d[0, len) inside a string or binary value that do not end it:
 * when they are plain ASCII (or binary), taken as bytes_run() would take
 * them, without the state machine; else the state machine. */
static FAST_NOINLINE enum mqttp_status feed_run(struct mqttp_parser *p, const uint8_t *d, size_t len,
                                                size_t *consumed, mqttp_field_cb cb, void *ctx)
{
	if (p->priv_elem == E_NAME || p->priv_elem == E_FILTER ||
	    (p->priv_elem == E_STR && (p->priv_utf8_need != 0 ||
	                          mqttp__cc_run_bad(d, d, (uint32_t)len, d + len, (p->priv_hflags & H_TOPIC) != 0))))
		return mqttp__machine_feed(p, d, len, consumed, cb, ctx);
	if (cb) {
		struct sink k;

		k.cb = cb;
		k.ctx = ctx;
		mqttp__emit_frag(p, &k, d, (uint32_t)len, 0);
	}
	p->offset += (uint32_t)len;
	if (p->priv_in_props)
		p->priv_props_left -= (uint32_t)len;
	p->priv_left -= (uint32_t)len;
	*consumed = len;
	p->status = MQTTP_NEED_MORE;
	return MQTTP_NEED_MORE;
}

/*
 * mqttp_feed makes tail calls only, so it needs no stack frame; a single
 * byte inside a value (a packet arriving byte by byte) is taken here as
 * machine.c's bytes_run() would take it.
 */
enum mqttp_status mqttp_feed(struct mqttp_parser *p, const void *data, size_t len,
                             size_t *consumed, mqttp_field_cb cb, void *ctx)
{
	const uint8_t *d = (const uint8_t *)data;

	if (p->status == MQTTP_ERROR || len == 0) {
		*consumed = 0;
		/* a zero-length call changes nothing, not even status */
		return p->status == MQTTP_ERROR ? MQTTP_ERROR : MQTTP_NEED_MORE;
	}
	if (p->priv_st == ST_TYPE) {
		/* CONNECT and CONNACK (one compare each) before PUBLISH */
		if (d[0] == 0x10)
			return cb ? connect_start(p, d, len, consumed, cb, ctx) : connect_start_bare(p, d, len, consumed);
		if (d[0] == 0x20)
			return cb ? connack_start(p, d, len, consumed, cb, ctx) : connack_start_bare(p, d, len, consumed);
		if ((d[0] >> 4) == MQTTP_PUBLISH)
			return cb ? publish_start(p, d, len, consumed, cb, ctx) : publish_start_bare(p, d, len, consumed);
	}
	if (p->priv_sub == R_BYTES && len < p->priv_left) {
		uint8_t b = d[0];

		if (len > 1 || cb)
			return feed_run(p, d, len, consumed, cb, ctx);
		if (p->priv_elem == E_STR ? p->priv_utf8_need == 0 && mqttp__cc_plain(b, (p->priv_hflags & H_TOPIC) != 0)
		    : p->priv_elem == E_NAME ? mqttp__name_byte_ok(p, p->priv_fld_len - p->priv_left, b)
		    : p->priv_elem != E_FILTER) {
			p->offset++;
			if (p->priv_in_props)
				p->priv_props_left--;
			p->priv_left--;
			*consumed = 1;
			p->status = MQTTP_NEED_MORE;
			return MQTTP_NEED_MORE;
		}
	}
	return mqttp__machine_feed(p, d, len, consumed, cb, ctx);
}

#endif /* MQTTP_FAST_PATH */

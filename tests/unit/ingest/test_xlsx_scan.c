/*
 * The hand-written XML scanner against expat.  Three layers:
 *   - the tokenizer alone: the same documents through xlsx_scan and
 *     through expat, with handlers writing one trace, split at every byte
 *     and mutated at random; verdicts and traces must match;
 *   - the whole reader with the scanner and with expat only
 *     (xlsx_part_force_expat) over every .xlsx of the shared corpus and
 *     cases: identical codes, sheets, rows and cells;
 *   - hand-made worksheets and string tables for each tricky rule.
 */
#include "socc_test.h"

#include <expat.h>
#include <zip.h>

#include "core/buf.h"
#include "ingest/xlsx_part.h"
#include "ingest/xlsx_scan.h"

/* ---- tokenizer traces -------------------------------------------------- */

/* Every handler call, in one string; adjacent text merged. */
struct trace {
    struct buf b;
    int in_text;    /* the last event was text */
};

static void tr_start(void *ud, const char *name, const char **atts)
{
    struct trace *t = ud;

    buf_printf(&t->b, "\x01<%s", name);
    for (; *atts; atts += 2)
        buf_printf(&t->b, "\x02%s=%s", atts[0], atts[1]);
    t->in_text = 0;
}

static void tr_end(void *ud, const char *name)
{
    struct trace *t = ud;

    buf_printf(&t->b, "\x01</%s", name);
    t->in_text = 0;
}

static void tr_text(void *ud, const char *s, int len)
{
    struct trace *t = ud;

    if (!t->in_text)
        buf_adds(&t->b, "\x01T");
    buf_add(&t->b, s, (size_t)len);
    t->in_text = 1;
}

/* expat with the trace as user data, and a way back to the parser. */
struct expat_ctx {
    struct trace t;    /* first: the handlers' user data */
    XML_Parser p;
};

static void XMLCALL refuse_doctype(void *ud, const XML_Char *name,
                                   const XML_Char *sysid,
                                   const XML_Char *pubid, int internal)
{
    (void)name, (void)sysid, (void)pubid, (void)internal;
    XML_StopParser(((struct expat_ctx *)ud)->p, XML_FALSE);
}

/* expat on xml[0..n): 1 when well-formed; the trace in t. */
static int expat_trace(const char *xml, size_t n, struct trace *t)
{
    struct expat_ctx ctx;
    int ok;

    memset(&ctx, 0, sizeof(ctx));
    buf_init(&ctx.t.b);
    ctx.p = XML_ParserCreate(NULL);
    XML_SetUserData(ctx.p, &ctx);
    XML_SetElementHandler(ctx.p, tr_start, tr_end);
    XML_SetCharacterDataHandler(ctx.p, tr_text);
    XML_SetStartDoctypeDeclHandler(ctx.p, refuse_doctype);
    XML_SetParamEntityParsing(ctx.p, XML_PARAM_ENTITY_PARSING_NEVER);
    ok = XML_Parse(ctx.p, xml, (int)n, 1) == XML_STATUS_OK;
    XML_ParserFree(ctx.p);
    *t = ctx.t;
    return ok;
}

/* The scanner on xml[0..n) fed as [0, cut) then [cut, n), then the end. */
static enum socc_err scan_trace(const char *xml, size_t n, size_t cut,
                                struct trace *t)
{
    struct xlsx_scan *s;
    enum socc_err rc;
    char *b;

    memset(t, 0, sizeof(*t));
    buf_init(&t->b);
    s = xlsx_scan_new(t);
    assert_non_null(s);
    xlsx_scan_set_elements(s, tr_start, tr_end);
    xlsx_scan_set_text(s, tr_text);
    b = xlsx_scan_buffer(s, cut);
    memcpy(b, xml, cut);
    rc = xlsx_scan_parse(s, cut, 0);
    if (rc == SOCC_OK) {
        b = xlsx_scan_buffer(s, n - cut);
        memcpy(b, xml + cut, n - cut);
        rc = xlsx_scan_parse(s, n - cut, 0);
    }
    if (rc == SOCC_OK)
        rc = xlsx_scan_parse(s, 0, 1);
    xlsx_scan_free(s);
    return rc;
}

/* Both tokenizers agree on xml[0..n) cut at cut; 1 when it was good. */
static int same_tokens(const char *xml, size_t n, size_t cut)
{
    struct trace a, b;
    int ok = expat_trace(xml, n, &a);
    enum socc_err rc;

    /* The reader gives other encodings to expat: nothing to compare. */
    if (!xlsx_scan_can_read(xml, n)) {
        buf_release(&a.b);
        return ok;
    }
    rc = scan_trace(xml, n, cut, &b);

    if (ok != (rc == SOCC_OK) || (ok && (a.b.len != b.b.len ||
                                         memcmp(a.b.data, b.b.data,
                                                a.b.len) != 0))) {
        print_error("disagree (expat %s, scan %s) at cut %zu on:\n%.*s\n",
                    ok ? "ok" : "bad", socc_err_name(rc), cut, (int)n, xml);
        print_error("expat: %.*s\nscan:  %.*s\n", (int)a.b.len,
                    a.b.data ? a.b.data : "", (int)b.b.len,
                    b.b.data ? b.b.data : "");
        fail();
    }
    buf_release(&a.b);
    buf_release(&b.b);
    return ok;
}

/* Every cut of a document, each way agreeing with expat. */
static void every_cut(const char *xml)
{
    size_t n = strlen(xml), i;

    for (i = 0; i <= n; i++)
        same_tokens(xml, n, i);
}

/* Documents for each rule the scanner must share with expat. */
static const char *const docs[] = {
    /* well-formed */
    "<a/>",
    "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n<a/>",
    "\xEF\xBB\xBF<?xml version='1.0'?><a/>",
    "<x:row xmlns:x='u' r = '1'  s=\"2\" ><x:c r='A1'/></x:row>",
    "<a b='&lt;&gt;&amp;&quot;&apos;' c=\"'\" d='\"'/>",
    "<a b='x\ty\nz\r\nw\rv'>t\r\nu\rv\n</a>",
    "<a b='&#9;&#10;&#13;'>&#13;&#10;</a>",
    "<a>&#65;&#x42;&#x10FFFF;&#xe9;&#0000065;</a>",
    "<a><![CDATA[<b>&amp;]] ]>\r\n]]></a>",
    "<a><![CDATA[]]><![CDATA[x]]]]></a>",
    "<!-- c --><?pi data?><a><!----><?p?></a><!-- e -->\n<?q ?>",
    "<a>x]y]]z]]]>"
    "</a>",
    "<a>caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80 \xEF\xBF\xBD</a>",
    "<\xC3\xA9l \xC3\xA9=''/>",
    "<a>  <b/>\n\t<c></c>  </a>  ",
    "<a><b><c><d><e>deep</e></d></c></b></a>",
    "<sst><si><t xml:space=\"preserve\"> x </t></si><si><r><t>a</t></r>"
    "<r><rPr/><t>b</t></r><rPh><t>p</t></rPh></si></sst>",
    /* malformed */
    "", "   ", "<a>", "<a></b>", "<a><b></a></b>", "</a>", "<a/><b/>",
    "<a/>x", "x<a/>", "<a b='1' b='2'/>", "<a b='1'c='2'/>", "<a b=1/>",
    "<a b='<'/>", "<a b='&x;'/>", "<a>&x;</a>", "<a>&lt</a>", "<a>&#;</a>",
    "<a>&#x;</a>", "<a>&#X41;</a>", "<a>&#0;</a>", "<a>&#xD800;</a>",
    "<a>&#xFFFE;</a>", "<a>&#x110000;</a>", "<a>&#1114112;</a>",
    "<a>]]></a>", "<a>\x01</a>", "<a>\x80</a>", "<a>\xC0\x80</a>",
    "<a>\xED\xA0\x80</a>", "<a>\xEF\xBF\xBF</a>", "<a>\xF4\x90\x80\x80</a>",
    "<a>\xF5\x80\x80\x80</a>", "<a>\xC3</a>", "<a><!-- -- --></a>",
    "<a><!--- --></a>", "<a><!-- --->", "<a><![CDATA[x</a>", "<![CDATA[x]]><a/>",
    "<!DOCTYPE a><a/>", "<!DOCTYPE a [<!ENTITY e 'x'>]><a>&e;</a>",
    "<a><!DOCTYPE a></a>", "<a><!ENTITY e 'x'></a>", "<a><!foo></a>",
    "<?xml version='1.0'?><?xml version='1.0'?><a/>", " <?xml version='1.0'?><a/>",
    "<?xml?><a/>", "<?XML version='1.0'?><a/>", "<a><?xml x?></a>",
    "<?xml version='1.0' standalone='maybe'?><a/>",
    "<?xml encoding='UTF-8'?><a/>", "<?xml version='1.0'encoding='UTF-8'?><a/>",
    "<?xml version='1.0' encoding='8'?><a/>", "<?pi?x?><a/>", "<?pi", "<a",
    "<a b", "<a b=", "<a b='", "<a/", "<1a/>", "<a 1b=''/>", "< a/>", "<a></a >",
    "<a></ a>", "<a>x</a", "<a>&", "<a>&#", "<a>&#x", "<a>&am", "<a>\r",
    "<a>]", "<a>]]", "<a b='\x01'/>", "<a b='\xFF'/>", "<a\xF0\x9F\x98\x80/>",
    "<a>\x00</a>",
};

static void test_tokens_every_cut(void **state)
{
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(docs) / sizeof(docs[0]); i++)
        every_cut(docs[i]);
}

/* A document of n random edits of a good one. */
static size_t mutate(const char *seed, char *out, size_t cap, unsigned *rng)
{
    static const char *const bits[] = {
        "<", ">", "&", ";", "#", "x", "/", "!", "?", "-", "]", "'", "\"",
        "=", " ", "\r", "\n", "\t", "&amp;", "&#65;", "&#x", "<!--", "-->",
        "<![CDATA[", "]]>", "<?p ", "?>", "\xC3\xA9", "\x80", "\xEF\xBF\xBE",
        "\x01", "a", ":", "</c>", "<c/>", "r=\"A1\"", "\xF0\x9F\x98\x80",
    };
    size_t n = strlen(seed), k, pos, len, edits;

    memcpy(out, seed, n);
    for (edits = 1 + *rng % 3; edits--;) {
        *rng = *rng * 1103515245u + 12345u;
        pos = n ? (*rng >> 8) % (n + 1) : 0;
        k = (*rng >> 4) % (sizeof(bits) / sizeof(bits[0]));
        len = strlen(bits[k]);
        if ((*rng >> 20) % 3 == 0 && pos < n) {
            memmove(out + pos, out + pos + 1, n - pos - 1);   /* delete */
            n--;
        } else if (n + len < cap) {
            memmove(out + pos + len, out + pos, n - pos);      /* insert */
            memcpy(out + pos, bits[k], len);
            n += len;
        }
    }
    return n;
}

/* Random edits of good documents: both tokenizers give one verdict. */
static void test_tokens_mutated(void **state)
{
    static const char *const seeds[] = {
        "<?xml version=\"1.0\"?><worksheet><sheetData><row r=\"1\">"
        "<c r=\"A1\" t=\"s\"><v>0</v></c><c r='B1'><v>1.5</v></c>"
        "<c r=\"C1\" t=\"inlineStr\"><is><t>a&amp;b</t></is></c></row>"
        "</sheetData></worksheet>",
        "<sst><si><t xml:space='preserve'> x&#x41; </t></si><si><r><t>a"
        "</t></r><![CDATA[q]]><!-- c --></si></sst>",
    };
    char out[1024];
    unsigned rng = 12345, i, good = 0;
    size_t n;

    (void)state;
    for (i = 0; i < 60000; i++) {
        n = mutate(seeds[i % 2], out, sizeof(out), &rng);
        good += (unsigned)same_tokens(out, n, (size_t)(rng >> 3) % (n + 1));
    }
    print_message("mutated documents: %u, well-formed: %u\n", i, good);
}

/* ---- the whole reader, both ways --------------------------------------- */

static void same_cell(const struct st_cell *a, const struct st_cell *b)
{
    assert_int_equal(a->kind, b->kind);
    assert_int_equal(a->len, b->len);
    assert_memory_equal(a->text, b->text, a->len + 1);
}

static void same_book(const struct st_book *a, const struct st_book *b)
{
    size_t i, j, k;

    assert_int_equal(a->nsheets, b->nsheets);
    assert_int_equal(a->ended, b->ended);
    assert_int_equal(a->warnings, b->warnings);
    for (i = 0; i < a->nsheets; i++) {
        const struct st_sheet *x = &a->sheets[i], *y = &b->sheets[i];
        assert_string_equal(x->name, y->name);
        assert_int_equal(x->nrows, y->nrows);
        for (j = 0; j < x->nrows; j++) {
            assert_int_equal(x->rows[j].row_num, y->rows[j].row_num);
            assert_int_equal(x->rows[j].ncells, y->rows[j].ncells);
            for (k = 0; k < x->rows[j].ncells; k++)
                same_cell(&x->rows[j].cells[k], &y->rows[j].cells[k]);
        }
    }
}

/* Read path with expat only and with the scanner; both must agree.
 * Returns the code; lim NULL means the defaults. */
static enum socc_err both_ways(const char *path,
                               const struct row_limits *lim)
{
    struct st_book a, b;
    struct socc_error ea, eb;
    struct row_sink sa = st_sink(&a), sb = st_sink(&b);
    struct row_limits dflt;
    enum socc_err ra, rb;

    row_limits_default(&dflt);
    xlsx_part_force_expat(1);
    ra = xlsx_reader_run(path, lim ? lim : &dflt, &sa, &ea);
    xlsx_part_force_expat(0);
    rb = xlsx_reader_run(path, lim ? lim : &dflt, &sb, &eb);
    xlsx_part_force_expat(-1);
    if (ra != rb)
        print_error("%s: expat %s (%s), scan %s (%s)\n", path,
                    socc_err_name(ra), ea.detail, socc_err_name(rb),
                    eb.detail);
    assert_int_equal(ra, rb);
    same_book(&a, &b);
    st_book_free(&a);
    st_book_free(&b);
    return ra;
}

static int nxlsx, nxlsx_ok;

static int visit(const char *p, const struct stat *sb, int flag,
                 struct FTW *ftw)
{
    size_t n = strlen(p);

    (void)sb, (void)ftw;
    if (flag == FTW_F && n > 5 && !strcmp(p + n - 5, ".xlsx")) {
        nxlsx++;
        nxlsx_ok += both_ways(p, NULL) == SOCC_OK;
    }
    return 0;
}

static void walk(const char *shared, const char *sub)
{
    char dir[4200];

    snprintf(dir, sizeof(dir), "%s/%s", shared, sub);
    assert_int_equal(nftw(dir, visit, 16, FTW_PHYS), 0);
}

static void test_corpus_both_ways(void **state)
{
    ST_NEED_SHARED(shared);

    (void)state;
    nxlsx = nxlsx_ok = 0;
    walk(shared, "corpus");
    walk(shared, "cases");
    print_message("xlsx files: %d, read: %d\n", nxlsx, nxlsx_ok);
    assert_true(nxlsx >= 50);
}

/* ---- hand-made workbooks ----------------------------------------------- */

static const char *rels_root =
    "<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/"
    "relationships\"><Relationship Id=\"rId1\" Type=\"http://schemas."
    "openxmlformats.org/officeDocument/2006/relationships/officeDocument\" "
    "Target=\"xl/workbook.xml\"/></Relationships>";
static const char *rels_wb =
    "<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/"
    "relationships\"><Relationship Id=\"rId1\" Type=\"http://schemas."
    "openxmlformats.org/officeDocument/2006/relationships/worksheet\" "
    "Target=\"worksheets/sheet1.xml\"/><Relationship Id=\"rId3\" Type=\""
    "http://schemas.openxmlformats.org/officeDocument/2006/relationships/"
    "sharedStrings\" Target=\"sharedStrings.xml\"/></Relationships>";
static const char *workbook =
    "<workbook xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/"
    "main\" xmlns:r=\"http://schemas.openxmlformats.org/officeDocument/2006/"
    "relationships\"><sheets><sheet name=\"S\" sheetId=\"1\" r:id=\"rId1\"/>"
    "</sheets></workbook>";

/* A workbook at a fresh temp path (static storage) whose sheet part is
 * ws[0..wn) and shared strings sst (NULL: none). */
static const char *book_of(const char *ws, size_t wn, const char *sst)
{
    static char path[64];
    const char *names[] = { "_rels/.rels", "xl/workbook.xml",
                            "xl/_rels/workbook.xml.rels",
                            "xl/worksheets/sheet1.xml",
                            "xl/sharedStrings.xml" };
    const char *data[] = { rels_root, workbook, rels_wb, ws, sst };
    size_t i, len;
    zip_source_t *src;
    zip_t *za;
    int fd, zerr;

    snprintf(path, sizeof(path), "/tmp/socc_scan_XXXXXX");
    fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    za = zip_open(path, ZIP_CREATE | ZIP_TRUNCATE, &zerr);
    assert_non_null(za);
    for (i = 0; i < 5 && data[i]; i++) {
        len = i == 3 ? wn : strlen(data[i]);
        src = zip_source_buffer(za, data[i], len, 0);
        assert_non_null(src);
        assert_true(zip_file_add(za, names[i], src, 0) >= 0);
    }
    assert_int_equal(zip_close(za), 0);
    return path;
}

#define WS_OPEN "<worksheet xmlns=\"http://schemas.openxmlformats.org/" \
    "spreadsheetml/2006/main\"><sheetData>"
#define WS_CLOSE "</sheetData></worksheet>"

/* Sheet (whole part) and strings through both paths; the code. */
static enum socc_err both_sheet(const char *ws, size_t wn, const char *sst)
{
    const char *path = book_of(ws, wn ? wn : strlen(ws), sst);
    enum socc_err rc = both_ways(path, NULL);

    unlink(path);
    return rc;
}

static const char *const sst_std =
    "<sst><si><t>zero</t></si><si><t xml:space=\"preserve\"> one </t></si>"
    "<si><r><t>t</t></r><r><rPr><b/></rPr><t>wo</t></r><rPh><t>x</t></rPh>"
    "</si><si><t>a_x000D_b&amp;&#x1F600;</t></si></sst>";

/* Sheet bodies for each rule; the code both paths must give. */
static const struct {
    const char *body;
    enum socc_err rc;
} sheets[] = {
    { "<row r=\"1\"><c r=\"A1\" t=\"s\"><v>0</v></c><c r='B1' t='s'>"
      "<v>1</v></c><c r=\"C1\" t=\"s\"><v>2</v></c><c t=\"s\"><v>3</v></c>"
      "</row>", SOCC_OK },
    { "<row r=\"1\"><c r=\"A1\"><v><![CDATA[4]]>2</v></c><c r=\"B1\" "
      "t=\"inlineStr\"><is><t><![CDATA[<x>&amp;]]></t></is></c></row>",
      SOCC_OK },
    { "<!-- c --><row r=\"2\"><?pi x?><c r=\"A2\"><!-- c --><v>1</v></c>"
      "</row><row r=\"3\"/><row r=\"4\"></row><row r=\"5\"><c r=\"B5\"/>"
      "<c r=\"C5\"><v>5</v></c></row>", SOCC_OK },
    { "<row r = '1' ><c r = 'A1' t = 'str' s = '0' ><f>1+1</f><v>2</v></c>"
      "<c r='B1' t='b'><v>1</v></c><c r='C1' t='e'><v>#N/A</v></c>"
      "<c r='D1' t='inlineStr'><is><r><t>a</t></r><r><t xml:space="
      "'preserve'> b\r\n</t></r><rPh><t>p</t></rPh></is></c></row>",
      SOCC_OK },
    { "<row r=\"1\"><c r=\"A1\" t=\"inlineStr\"><is><t>&lt;&gt;&amp;&quot;"
      "&apos;&#65;&#x42;&#xE9;&#x1F600;_x0041_</t></is></c></row>", SOCC_OK },
    { "<row r=\"1\"><c r=\"A1\"><v>1</v></c></row><row r=\"1\"><c r=\"A1\">"
      "<v>2</v></c></row>", SOCC_OK },
    { "<row r=\"1\"><c r=\"A1\"><v>1</v></row>", SOCC_E_CORRUPTED_FILE },
    { "<row r=\"1\"><c r=\"A1\"><v>&bogus;</v></c></row>",
      SOCC_E_CORRUPTED_FILE },
    { "<row r=\"1\"><c r=\"A1\"><v>&#xD800;</v></c></row>",
      SOCC_E_CORRUPTED_FILE },
    { "<row r=\"1\"><c r=\"A1\" r=\"B1\"><v>1</v></c></row>",
      SOCC_E_CORRUPTED_FILE },
    { "<row r=\"1\"><c r=\"A1\" t=\"s\"><v>9</v></c></row>",
      SOCC_E_CORRUPTED_FILE },
    { "<row r=\"0\"><c r=\"A1\"><v>1</v></c></row>", SOCC_E_CORRUPTED_FILE },
    { "<row r=\"1\"><c r=\"XFE1\"><v>1</v></c></row>",
      SOCC_E_LIMIT_EXCEEDED },
};

static void test_sheets_both_ways(void **state)
{
    struct buf ws;
    size_t i;

    (void)state;
    buf_init(&ws);
    for (i = 0; i < sizeof(sheets) / sizeof(sheets[0]); i++) {
        buf_reset(&ws);
        buf_adds(&ws, WS_OPEN);
        buf_adds(&ws, sheets[i].body);
        buf_adds(&ws, WS_CLOSE);
        assert_int_equal(both_sheet(ws.data, ws.len, sst_std),
                         sheets[i].rc);
    }
    buf_release(&ws);
}

/* Prefixes, Strict namespaces, a declaration, the strings' edge cases. */
static void test_prefixes_strict_sst(void **state)
{
    static const char *strict =
        "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\r\n"
        "<x:worksheet xmlns:x=\"http://purl.oclc.org/ooxml/spreadsheetml/"
        "main\"><x:sheetData><x:row r=\"1\"><x:c r=\"A1\" t=\"s\"><x:v>3"
        "</x:v></x:c></x:row></x:sheetData></x:worksheet>";
    static const char *sst_prefixed =
        "<s:sst xmlns:s='u'><s:si><s:t>a&#10;b</s:t></s:si><s:si><s:r>"
        "<s:t>c</s:t></s:r></s:si><s:si/><s:si><s:t/></s:si></s:sst>";

    (void)state;
    assert_int_equal(both_sheet(strict, 0, sst_std), SOCC_OK);
    assert_int_equal(both_sheet(strict, 0, sst_prefixed), SOCC_OK);
    assert_int_equal(both_sheet(WS_OPEN WS_CLOSE, 0,
                                "<!DOCTYPE sst><sst/>"),
                     SOCC_E_CORRUPTED_FILE);
    assert_int_equal(both_sheet(WS_OPEN WS_CLOSE, 0, "<sst><si><t>x</t>"),
                     SOCC_E_CORRUPTED_FILE);
    assert_int_equal(both_sheet("<!DOCTYPE w [<!ENTITY e 'x'>]>" WS_OPEN
                                WS_CLOSE, 0, NULL),
                     SOCC_E_CORRUPTED_FILE);
}

/* Other encodings are left to expat, whole: Latin-1 and UTF-16. */
static void test_other_encodings(void **state)
{
    static const char latin1[] =
        "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>" WS_OPEN
        "<row r=\"1\"><c r=\"A1\" t=\"inlineStr\"><is><t>caf\xE9</t></is>"
        "</c></row>" WS_CLOSE;
    const char *ascii = WS_OPEN "<row r=\"1\"><c r=\"A1\"><v>7</v></c>"
                        "</row>" WS_CLOSE;
    size_t n = strlen(ascii), i;
    char *u16 = malloc(2 * n + 2);

    (void)state;
    assert_int_equal(both_sheet(latin1, 0, NULL), SOCC_OK);
    u16[0] = '\xFF';
    u16[1] = '\xFE';
    for (i = 0; i < n; i++) {
        u16[2 + 2 * i] = ascii[i];
        u16[3 + 2 * i] = 0;
    }
    assert_int_equal(both_sheet(u16, 2 * n + 2, NULL), SOCC_OK);
    free(u16);
}

/* A sheet whose interesting bytes sit at offset at of the part: padding
 * (white space between rows) puts them across the 64 KiB block edge. */
static void at_block_edge(size_t at, const char *row)
{
    struct buf ws;
    size_t pad;

    buf_init(&ws);
    buf_adds(&ws, WS_OPEN);
    pad = at > ws.len ? at - ws.len : 0;
    while (pad--)
        buf_addc(&ws, pad % 7 ? ' ' : '\n');
    buf_adds(&ws, row);
    buf_adds(&ws, WS_CLOSE);
    assert_int_equal(both_sheet(ws.data, ws.len, sst_std), SOCC_OK);
    buf_release(&ws);
}

/* Every token kind cut at every byte by the reader's own 64 KiB blocks. */
static void test_block_edges(void **state)
{
    static const char *row =
        "<row r=\"1\"><c r=\"A1\" t=\"inlineStr\"><is><t>a&amp;b&#x1F600;"
        "\xC3\xA9\r\n<![CDATA[c]]></t></is></c><!-- x --><c r='B1' "
        "t='s'><v>2</v></c><?p q?><c r=\"C1\"/></row>";
    size_t n = strlen(row), i;

    (void)state;
    for (i = 0; i <= n; i++)
        at_block_edge(65536 - i, row);
}

/* Text: a cell of exactly the limit passes, one more is refused; a huge
 * run of text outside any cell costs no memory. */
static void test_long_text(void **state)
{
    struct buf ws;
    size_t i;
    unsigned seed;

    (void)state;
    buf_init(&ws);
    buf_adds(&ws, WS_OPEN "<row r=\"1\"><c r=\"A1\" t=\"inlineStr\"><is><t>");
    for (i = 0; i < 32767; i++)
        buf_adds(&ws, i % 100 ? "x" : "&amp;");
    buf_adds(&ws, "</t></is></c></row>" WS_CLOSE);
    assert_int_equal(both_sheet(ws.data, ws.len, NULL), SOCC_OK);
    buf_reset(&ws);
    buf_adds(&ws, WS_OPEN "<row r=\"1\"><c r=\"A1\" t=\"inlineStr\"><is><t>");
    for (i = 0; i < 32768; i++)
        buf_adds(&ws, "\xC3\xA9");
    buf_adds(&ws, "</t></is></c></row>" WS_CLOSE);
    assert_int_equal(both_sheet(ws.data, ws.len, NULL),
                     SOCC_E_LIMIT_EXCEEDED);
    buf_reset(&ws);
    buf_adds(&ws, WS_OPEN "<x>");
    for (i = 0, seed = 1; i < 3000000; i++) {
        seed = seed * 1103515245u + 12345u;   /* little to compress */
        buf_addc(&ws, (char)('a' + (seed >> 16) % 26));
    }
    buf_adds(&ws, "</x>" WS_CLOSE);
    assert_int_equal(both_sheet(ws.data, ws.len, NULL), SOCC_OK);
    buf_release(&ws);
}

/* A tag past XLSX_SCAN_MAX_TOKEN is refused by the scanner (expat would
 * take it): memory stays bounded.  So is nesting past the same size. */
static void test_huge_tag_and_depth(void **state)
{
    struct buf ws;
    struct st_book b;
    struct socc_error err;
    struct row_limits lim;
    struct row_sink sink;
    const char *path;
    size_t i;

    (void)state;
    row_limits_default(&lim);
    buf_init(&ws);
    buf_adds(&ws, WS_OPEN "<row r=\"1\" x=\"");
    for (i = 0; i < 2 * XLSX_SCAN_MAX_TOKEN; i++)
        buf_addc(&ws, 'y');
    buf_adds(&ws, "\"/>" WS_CLOSE);
    path = book_of(ws.data, ws.len, NULL);
    sink = st_sink(&b);
    assert_int_equal(xlsx_reader_run(path, &lim, &sink, &err),
                     SOCC_E_LIMIT_EXCEEDED);
    assert_non_null(strstr(err.detail, "sheet1.xml"));
    unlink(path);
    st_book_free(&b);
    buf_reset(&ws);
    buf_adds(&ws, WS_OPEN);
    for (i = 0; i < XLSX_SCAN_MAX_TOKEN / 2; i++)
        buf_adds(&ws, "<ab>");
    path = book_of(ws.data, ws.len, NULL);
    sink = st_sink(&b);
    assert_int_equal(xlsx_reader_run(path, &lim, &sink, &err),
                     SOCC_E_LIMIT_EXCEEDED);
    unlink(path);
    st_book_free(&b);
    buf_release(&ws);
}

/* ---- the tokenizer's own contract -------------------------------------- */

static void stop_at_b(void *ud, const char *name, const char **atts)
{
    (void)atts;
    if (!strcmp(name, "b"))
        xlsx_scan_stop(*(struct xlsx_scan **)ud);
}

static void test_stop_and_detail(void **state)
{
    struct xlsx_scan *s = NULL;
    const char *xml = "<a><b/><c/></a>";
    char *buf;

    (void)state;
    s = xlsx_scan_new(&s);
    assert_non_null(s);
    xlsx_scan_set_elements(s, stop_at_b, NULL);
    buf = xlsx_scan_buffer(s, strlen(xml));
    memcpy(buf, xml, strlen(xml));
    assert_int_equal(xlsx_scan_parse(s, strlen(xml), 1), SOCC_E_INTERNAL);
    assert_int_equal(xlsx_scan_parse(s, 0, 1), SOCC_E_INTERNAL);
    xlsx_scan_free(s);
    s = xlsx_scan_new(&s);
    buf = xlsx_scan_buffer(s, 8);
    memcpy(buf, "<a></b>", 7);
    assert_int_equal(xlsx_scan_parse(s, 7, 1), SOCC_E_CORRUPTED_FILE);
    assert_non_null(strstr(xlsx_scan_detail(s), "does not match"));
    xlsx_scan_free(s);
    xlsx_scan_free(NULL);
}

static void test_can_read(void **state)
{
    (void)state;
    assert_true(xlsx_scan_can_read("<a/>", 4));
    assert_true(xlsx_scan_can_read("", 0));
    assert_true(xlsx_scan_can_read("<?xml version='1.0'?><a/>", 25));
    assert_true(xlsx_scan_can_read("<?xml version='1.0' encoding = \"utf-8\""
                                   "?>", 40));
    assert_false(xlsx_scan_can_read("<?xml version='1.0' encoding='UTF-16'"
                                    "?>", 39));
    assert_false(xlsx_scan_can_read("<?xml version='1.0' encoding='latin1'"
                                    "?>", 39));
    assert_false(xlsx_scan_can_read("\xFF\xFE<\0a\0", 6));
    assert_false(xlsx_scan_can_read("<\0a\0", 4));
    assert_false(xlsx_scan_can_read("<?xml version='1.0' enc", 23));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tokens_every_cut),
        cmocka_unit_test(test_tokens_mutated),
        cmocka_unit_test(test_stop_and_detail),
        cmocka_unit_test(test_can_read),
        cmocka_unit_test(test_corpus_both_ways),
        cmocka_unit_test(test_sheets_both_ways),
        cmocka_unit_test(test_prefixes_strict_sst),
        cmocka_unit_test(test_other_encodings),
        cmocka_unit_test(test_block_edges),
        cmocka_unit_test(test_long_text),
        cmocka_unit_test(test_huge_tag_and_depth),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}

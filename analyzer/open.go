package analyzer

import (
	"archive/zip"
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"iter"
	"os"
	"path"
	"sort"
	"strings"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/armor"
	"github.com/golang/snappy"
	"github.com/klauspost/compress/gzip"
)

// Kinds of tables, reported in Result.Kind.
const (
	KindCSV    = "csv"
	KindTSV    = "tsv"
	KindText   = "text"
	KindJSON   = "json"
	KindNDJSON = "ndjson"
	KindXLSX   = "xlsx"
	KindXLS    = "xls"
)

// Containers, listed outermost first in Table.Containers.
const (
	ContainerGzip   = "gzip"
	ContainerZip    = "zip"
	ContainerSnappy = "snappy"
	ContainerGPG    = "gpg"
)

// ErrUnsupported is returned for content that is no known kind.
var ErrUnsupported = errors.New("analyzer: unsupported file kind")

// maxDepth bounds the nesting of containers.
const maxDepth = 8

// spoolLimit is the size up to which a zip or workbook is kept in memory
// rather than in a temporary file.
const spoolLimit = 32 << 20

// Table is one stream of rows found in a file: a delimited text file, a
// JSON file or one sheet of a workbook. It is valid only inside the Walk
// callback that received it.
type Table struct {
	// Name is the path of the table: the file name, then members of
	// archives ("a.zip/b.csv"), then "#sheet" for workbook sheets.
	Name string
	// Kind is one of the Kind* constants.
	Kind string
	// Containers lists the wrappings removed, outermost first.
	Containers []string
	// Encoding is the text encoding read ("" for workbooks).
	Encoding string
	// BOM reports a byte-order mark at the start of the text.
	BOM bool
	// Dialect is the dialect of delimited text.
	Dialect Dialect
	// Sheet is the sheet name, and Sheets all sheet names, for workbooks.
	Sheet  string
	Sheets []string

	src  rowSource
	utf8 *utf8Reader
}

// rowSource yields raw rows: cells and the physical line (or row number).
type rowSource interface {
	Next() ([]string, int, error)
}

// Walk reads r (named name, used only for messages and Table.Name),
// detects its kind by content, unwraps containers (gzip, zip, snappy,
// OpenPGP, nested in any order) and calls fn for each table found, in
// order. A zip with several members gives one table per member; a
// workbook gives one table per sheet, or only the sheet named by
// Options.ExcelSheetName. fn must not keep the Table after it returns. An
// error from fn stops the walk and is returned.
func Walk(ctx context.Context, r io.Reader, name string, opts *Options, fn func(*Table) error) error {
	s, err := opts.compile()
	if err != nil {
		return err
	}
	return walk(ctx, s, &ctxReader{ctx: ctx, r: r}, name, nil, 0, fn)
}

// errStopTables ends a Walk when the consumer of Tables stops.
var errStopTables = errors.New("stop")

// Tables is Walk as an iterator: it yields each table found in r, then a
// final error if the walk failed. A table is valid until the loop body
// returns.
//
//	for t, err := range analyzer.Tables(ctx, r, name, opts) {
//		if err != nil { return err }
//		rd, err := analyzer.NewReader(t, opts)
//		...
//	}
func Tables(ctx context.Context, r io.Reader, name string, opts *Options) iter.Seq2[*Table, error] {
	return func(yield func(*Table, error) bool) {
		err := Walk(ctx, r, name, opts, func(t *Table) error {
			if !yield(t, nil) {
				return errStopTables
			}
			return nil
		})
		if err != nil && !errors.Is(err, errStopTables) {
			yield(nil, err)
		}
	}
}

type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c *ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}

var (
	magicGzip   = []byte{0x1f, 0x8b}
	magicZip    = []byte("PK\x03\x04")
	magicZipE   = []byte("PK\x05\x06")
	magicOLE    = []byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1}
	magicSnappy = []byte("\xff\x06\x00\x00sNaPpY")
	magicArmor  = []byte("-----BEGIN PGP MESSAGE-----")
)

// isBinaryPGP reports whether b starts with an OpenPGP packet that opens
// an encrypted (or compressed/literal) message.
func isBinaryPGP(b []byte) bool {
	if len(b) < 2 || b[0]&0x80 == 0 {
		return false
	}
	var tag byte
	if b[0]&0x40 != 0 {
		tag = b[0] & 0x3f
	} else {
		tag = (b[0] >> 2) & 0x0f
	}
	switch tag {
	case 1, 3: // public-key or symmetric-key encrypted session key
		return true
	}
	return false
}

func walk(ctx context.Context, s *settings, r io.Reader, name string, containers []string, depth int, fn func(*Table) error) error {
	if depth > maxDepth {
		return fmt.Errorf("analyzer: %s: containers nested too deep", name)
	}
	br := bufio.NewReaderSize(r, 64<<10)
	head, err := br.Peek(64 << 10)
	if err != nil && err != io.EOF && err != bufio.ErrBufferFull {
		return err
	}
	add := func(c string) []string { return append(append([]string{}, containers...), c) }
	switch {
	case bytes.HasPrefix(head, magicGzip):
		gz, err := gzip.NewReader(br)
		if err != nil {
			return fmt.Errorf("analyzer: %s: %w", name, err)
		}
		defer gz.Close()
		return walk(ctx, s, gz, trimExt(name, ".gz", ".gzip"), add(ContainerGzip), depth+1, fn)
	case bytes.HasPrefix(head, magicSnappy):
		return walk(ctx, s, snappy.NewReader(br), trimExt(name, ".sz", ".snappy"), add(ContainerSnappy), depth+1, fn)
	case bytes.HasPrefix(head, magicArmor) || isBinaryPGP(head):
		body, err := decryptPGP(s, br, bytes.HasPrefix(head, magicArmor))
		if err != nil {
			return fmt.Errorf("analyzer: %s: %w", name, err)
		}
		return walk(ctx, s, body, trimExt(name, ".gpg", ".pgp", ".asc"), add(ContainerGPG), depth+1, fn)
	case bytes.HasPrefix(head, magicZip) || bytes.HasPrefix(head, magicZipE):
		ra, size, cleanup, err := spool(br)
		if err != nil {
			return err
		}
		defer cleanup()
		zr, err := zip.NewReader(ra, size)
		if err != nil {
			return fmt.Errorf("analyzer: %s: %w", name, err)
		}
		if isXLSX(zr) {
			return walkXLSX(ctx, s, ra, size, name, containers, fn)
		}
		return walkZip(ctx, s, zr, name, add(ContainerZip), depth, fn)
	case bytes.HasPrefix(head, magicOLE):
		ra, size, cleanup, err := spool(br)
		if err != nil {
			return err
		}
		defer cleanup()
		return walkXLS(ctx, s, ra, size, name, containers, fn)
	}
	return walkText(s, br, head, name, containers, fn)
}

func trimExt(name string, exts ...string) string {
	for _, e := range exts {
		if strings.HasSuffix(strings.ToLower(name), e) {
			return name[:len(name)-len(e)]
		}
	}
	return name
}

// spool makes r random-access: in memory up to spoolLimit, else in a
// temporary file removed by cleanup.
func spool(r io.Reader) (io.ReaderAt, int64, func(), error) {
	var buf bytes.Buffer
	n, err := io.CopyN(&buf, r, spoolLimit+1)
	if err != nil && err != io.EOF {
		return nil, 0, nil, err
	}
	if n <= spoolLimit {
		return bytes.NewReader(buf.Bytes()), n, func() {}, nil
	}
	f, err := os.CreateTemp("", "qluster-analyzer-*")
	if err != nil {
		return nil, 0, nil, err
	}
	cleanup := func() { f.Close(); os.Remove(f.Name()) }
	if _, err := f.Write(buf.Bytes()); err != nil {
		cleanup()
		return nil, 0, nil, err
	}
	m, err := io.Copy(f, r)
	if err != nil {
		cleanup()
		return nil, 0, nil, err
	}
	return f, n + m, cleanup, nil
}

func walkZip(ctx context.Context, s *settings, zr *zip.Reader, name string, containers []string, depth int, fn func(*Table) error) error {
	files := make([]*zip.File, 0, len(zr.File))
	for _, f := range zr.File {
		base := path.Base(f.Name)
		if f.FileInfo().IsDir() || strings.HasPrefix(f.Name, "__MACOSX/") || strings.HasPrefix(base, ".") {
			continue
		}
		files = append(files, f)
	}
	sort.SliceStable(files, func(i, j int) bool { return files[i].Name < files[j].Name })
	for _, f := range files {
		rc, err := openZipMember(f, s.o.FilePassword)
		if err != nil {
			return fmt.Errorf("analyzer: %s/%s: %w", name, f.Name, err)
		}
		err = walk(ctx, s, rc, name+"/"+f.Name, containers, depth+1, fn)
		rc.Close()
		if errors.Is(err, ErrUnsupported) {
			continue // a member that holds no table (an image, a PDF…)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func decryptPGP(s *settings, r io.Reader, armored bool) (io.Reader, error) {
	if armored {
		blk, err := armor.Decode(r)
		if err != nil {
			return nil, err
		}
		r = blk.Body
	}
	var keyring openpgp.EntityList
	if k := strings.TrimSpace(s.o.GPGPrivateKey); k != "" {
		var err error
		if strings.HasPrefix(k, "-----BEGIN") {
			keyring, err = openpgp.ReadArmoredKeyRing(strings.NewReader(k))
		} else {
			keyring, err = openpgp.ReadKeyRing(strings.NewReader(k))
		}
		if err != nil {
			return nil, fmt.Errorf("reading gpg_private_key: %w", err)
		}
		pass := []byte(s.o.GPGPassphrase)
		for _, e := range keyring {
			if e.PrivateKey != nil && e.PrivateKey.Encrypted {
				if err := e.PrivateKey.Decrypt(pass); err != nil {
					return nil, fmt.Errorf("gpg_passphrase does not unlock gpg_private_key: %w", err)
				}
			}
			for _, sk := range e.Subkeys {
				if sk.PrivateKey != nil && sk.PrivateKey.Encrypted {
					if err := sk.PrivateKey.Decrypt(pass); err != nil {
						return nil, fmt.Errorf("gpg_passphrase does not unlock gpg_private_key: %w", err)
					}
				}
			}
		}
	}
	tried := false
	prompt := func(keys []openpgp.Key, symmetric bool) ([]byte, error) {
		if tried || s.o.GPGPassphrase == "" {
			return nil, errors.New("gpg_private_key or gpg_passphrase required")
		}
		tried = true
		return []byte(s.o.GPGPassphrase), nil
	}
	md, err := openpgp.ReadMessage(r, keyring, prompt, nil)
	if err != nil {
		return nil, fmt.Errorf("decrypting OpenPGP message: %w", err)
	}
	return md.UnverifiedBody, nil
}

// walkText handles text content: JSON, NDJSON or delimited text.
func walkText(s *settings, br *bufio.Reader, head []byte, name string, containers []string, fn func(*Table) error) error {
	if looksBinary(head) {
		return fmt.Errorf("%w: %s", ErrUnsupported, name)
	}
	enc := detectEncoding(head, s.o.EncodingProbably)
	dr, u := decodeReader(br, enc)
	tb := &Table{Name: name, Containers: containers, Encoding: enc, utf8: u}
	if enc == EncUTF8BOM {
		tb.Encoding = EncUTF8
	}
	tb.BOM = bytes.HasPrefix(head, []byte{0xEF, 0xBB, 0xBF}) || bytes.HasPrefix(head, []byte{0xFF, 0xFE}) || bytes.HasPrefix(head, []byte{0xFE, 0xFF})
	text := bufio.NewReaderSize(dr, 256<<10)
	sample, _ := text.Peek(64 << 10)
	first, second := firstNonSpace(sample), byte(0)
	if i := bytes.IndexByte(sample, first); i >= 0 && first != 0 {
		second = firstNonSpace(sample[i+1:])
	}
	// "[id],[name]" or "{a}" lines are text, not JSON.
	switch {
	case first == '[' && second != '{' && second != '[' && second != ']' && second != 0:
		first = 0
	case first == '{' && second != '"' && second != '}' && second != 0:
		first = 0
	}
	switch first {
	case '[':
		tb.Kind = KindJSON
		tb.src = newJSONRows(text, true)
		return fn(tb)
	case '{':
		if s.o.CSVDelimiter == "" {
			tb.Kind = KindNDJSON
			tb.src = newJSONRows(text, false)
			return fn(tb)
		}
	}
	str := string(sample)
	if len(sample) == 64<<10 {
		if i := strings.LastIndexAny(str, "\r\n"); i > 0 {
			str = str[:i+1]
		}
	}
	d := SniffDialect(str)
	applyDialectOverrides(&d, &s.o)
	if d.Delimiter == 0 && s.o.CSVDelimiter == "" {
		// One column: the name breaks the tie between CSV and text.
		switch strings.ToLower(path.Ext(name)) {
		case ".csv":
			d.Delimiter = ','
		case ".tsv", ".tab":
			d.Delimiter = '\t'
		}
	}
	tb.Dialect = d
	switch d.Delimiter {
	case 0:
		tb.Kind = KindText
	case '\t':
		tb.Kind = KindTSV
	default:
		tb.Kind = KindCSV
	}
	tb.src = NewCSVReader(text, d)
	return fn(tb)
}

func applyDialectOverrides(d *Dialect, o *Options) {
	if v := unescapeOpt(o.CSVDelimiter); v != "" {
		d.Delimiter = v[0]
	}
	if o.CSVQuotechar != "" {
		if v := unescapeOpt(o.CSVQuotechar); v != "none" && v != "" {
			d.Quote = v[0]
		} else {
			d.Quote = 0
		}
	}
	if o.CSVEscapechar != "" {
		if v := unescapeOpt(o.CSVEscapechar); v != "none" && v != "" {
			d.Escape = v[0]
		} else {
			d.Escape = 0
		}
	}
	if v := unescapeOpt(o.CSVLineterminator); v != "" {
		d.LineTerminator = v
	}
}

// unescapeOpt reads option text such as `\t`, "tab", `\r\n`.
func unescapeOpt(v string) string {
	switch strings.ToLower(v) {
	case `\t`, "tab":
		return "\t"
	case `\n`, "lf":
		return "\n"
	case `\r\n`, "crlf":
		return "\r\n"
	case `\r`, "cr":
		return "\r"
	case "space":
		return " "
	case "pipe":
		return "|"
	}
	return v
}

func firstNonSpace(b []byte) byte {
	for _, c := range b {
		if c != ' ' && c != '\t' && c != '\r' && c != '\n' {
			return c
		}
	}
	return 0
}

// looksBinary reports content that is neither text nor UTF-16 text.
func looksBinary(b []byte) bool {
	if len(b) > 8192 {
		b = b[:8192]
	}
	if utf16NoBOM(b) != "" || bytes.HasPrefix(b, []byte{0xFF, 0xFE}) || bytes.HasPrefix(b, []byte{0xFE, 0xFF}) {
		return false
	}
	ctl := 0
	for _, c := range b {
		if c == 0 {
			return true
		}
		if c < 0x09 || (c > 0x0d && c < 0x20 && c != 0x1b) {
			ctl++
		}
	}
	return ctl*20 > len(b)+1
}

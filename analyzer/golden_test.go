package analyzer

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"compress/gzip"
	"context"
	"crypto/aes"
	"crypto/hmac"
	"crypto/pbkdf2"
	"crypto/sha1"
	"encoding/binary"
	"encoding/json"
	"errors"
	"flag"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/armor"
	"github.com/ProtonMail/go-crypto/openpgp/packet"
	"github.com/golang/snappy"
	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/unicode"
)

var update = flag.Bool("update", false, "rewrite testdata/ inputs and golden files")

const testPassphrase = "correct horse battery staple"

// TestGolden analyses every file of testdata/ (with its .options.json) and
// compares the result with its .golden.json. Run with -update to rewrite
// the inputs and the golden files.
func TestGolden(t *testing.T) {
	if *update {
		generateTestdata(t)
	}
	entries, err := os.ReadDir("testdata")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || strings.HasSuffix(name, ".golden.json") || strings.HasSuffix(name, ".options.json") {
			continue
		}
		n++
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			path := filepath.Join("testdata", name)
			opts := loadOptions(t, path)
			results, err := analyzeFile(path, opts)
			var got []byte
			if err != nil {
				got, _ = json.MarshalIndent(map[string]string{"error": err.Error()}, "", "  ")
			} else {
				var v any = results
				if len(results) == 1 {
					v = results[0]
				}
				got, err = json.MarshalIndent(v, "", "  ")
				if err != nil {
					t.Fatal(err)
				}
				checkCasts(t, path, opts, results)
			}
			got = append(got, '\n')
			golden := path + ".golden.json"
			if *update {
				if err := os.WriteFile(golden, got, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test ./analyzer -update)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("result differs from %s (run go test ./analyzer -update and review the diff):\n%s", golden, got)
			}
		})
	}
	if n < 60 {
		t.Errorf("only %d test files in testdata/, want at least 60", n)
	}
}

func loadOptions(t *testing.T, path string) *Options {
	t.Helper()
	b, err := os.ReadFile(path + ".options.json")
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	var o Options
	if err := json.Unmarshal(b, &o); err != nil {
		t.Fatalf("%s.options.json: %v", path, err)
	}
	return &o
}

func analyzeFile(path string, opts *Options) ([]*Result, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return AnalyzeAll(context.Background(), f, filepath.Base(path), opts)
}

// checkCasts reads the file again as ingestion would and casts every cell
// with the inferred columns: inference must only choose types whose cast
// accepts every value.
func checkCasts(t *testing.T, path string, opts *Options, results []*Result) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	i := 0
	err = Walk(context.Background(), f, filepath.Base(path), opts, func(tb *Table) error {
		res := results[i]
		i++
		rd, err := NewReader(tb, opts)
		if err != nil {
			return err
		}
		byIndex := map[int]*Column{}
		for _, c := range res.Columns {
			if c.ExpandedFrom == "" {
				byIndex[c.Index] = c
			}
		}
		for {
			row, line, err := rd.Next()
			if err == io.EOF {
				return nil
			}
			var re *RowError
			if errors.As(err, &re) {
				continue
			}
			if err != nil {
				return err
			}
			for k, v := range row {
				c := byIndex[rd.Indexes()[k]]
				if c == nil {
					continue
				}
				if _, err := Cast(v, c); err != nil {
					t.Errorf("line %d: %v", line, err)
				}
			}
		}
	})
	if err != nil {
		t.Fatal(err)
	}
}

func writeFile(t *testing.T, name string, data []byte) {
	t.Helper()
	if err := os.WriteFile(filepath.Join("testdata", name), data, 0o644); err != nil {
		t.Fatal(err)
	}
}

func writeOptions(t *testing.T, name, opts string) {
	t.Helper()
	p := filepath.Join("testdata", name+".options.json")
	if opts == "" {
		os.Remove(p)
		return
	}
	var v any
	if err := json.Unmarshal([]byte(opts), &v); err != nil {
		t.Fatalf("%s options: %v", name, err)
	}
	b, _ := json.MarshalIndent(v, "", "  ")
	writeFile(t, name+".options.json", append(b, '\n'))
}

// generateTestdata writes every input file of testdata/.
func generateTestdata(t *testing.T) {
	t.Helper()
	for _, f := range textFixtures {
		writeFile(t, f.name, []byte(f.content))
		writeOptions(t, f.name, f.options)
	}
	sample := lines(
		"id,name,amount,when",
		"1,Ann,10.50,2021-01-02",
		"2,Bob,20.00,2021-02-03",
		"3,Cy,,2021-03-04",
	)
	// Encodings.
	u16le, _ := unicode.UTF16(unicode.LittleEndian, unicode.UseBOM).NewEncoder().String("ville,prix\nOrléans,3\nZürich,4\n")
	writeFile(t, "utf16le_bom.csv", []byte(u16le))
	u16be, _ := unicode.UTF16(unicode.BigEndian, unicode.UseBOM).NewEncoder().String("ville,prix\nOrléans,3\nZürich,4\n")
	writeFile(t, "utf16be_bom.csv", []byte(u16be))
	u16n, _ := unicode.UTF16(unicode.LittleEndian, unicode.IgnoreBOM).NewEncoder().String("name,qty\nanna,1\nbert,2\n")
	writeFile(t, "utf16le_nobom.csv", []byte(u16n))
	cp, _ := charmap.Windows1252.NewEncoder().String("produit;prix;remarque\ncafé;3,50 €;“très bon”\ncrème brûlée;6,00 €;déjà vu\n")
	writeFile(t, "windows1252.csv", []byte(cp))
	// Windows-1252 bytes only after the 64 KiB that detection looks at.
	var late strings.Builder
	late.WriteString("id,word\n")
	for i := 0; late.Len() < 70<<10; i++ {
		late.WriteString(strconv.Itoa(i) + ",plain ascii words\n")
	}
	lateTail, _ := charmap.Windows1252.NewEncoder().String("999999,café crème\n")
	writeFile(t, "late_cp1252.csv", []byte(late.String()+lateTail))
	l1, _ := charmap.ISO8859_1.NewEncoder().String("nom,ville\nJosé,Málaga\nFrançois,Besançon\n")
	writeFile(t, "latin1_hint.csv", []byte(l1))
	writeOptions(t, "latin1_hint.csv", `{"encoding_probably":"latin1"}`)

	// Containers.
	writeWorkbooks(t)
	writeFile(t, "data.csv.gz", gzipBytes([]byte(sample)))
	writeFile(t, "data.csv.sz", snappyBytes([]byte(sample)))
	writeFile(t, "multi.zip", zipBytes(t, map[string][]byte{
		"a.csv":           []byte(sample),
		"b.tsv":           []byte("k\tv\nx\t1\ny\t2\n"),
		"__MACOSX/._a":    []byte("junk"),
		"nested/c.ndjson": []byte(`{"a":1}` + "\n" + `{"a":2}` + "\n"),
	}, "", 0))
	writeFile(t, "password_zipcrypto.zip", zipBytes(t, map[string][]byte{"secret.csv": []byte(sample)}, "s3cret", 1))
	writeOptions(t, "password_zipcrypto.zip", `{"file_password":"s3cret"}`)
	writeFile(t, "password_aes.zip", zipBytes(t, map[string][]byte{"secret.csv": []byte(sample)}, "s3cret", 2))
	writeOptions(t, "password_aes.zip", `{"file_password":"s3cret"}`)
	writeFile(t, "password_missing.zip", zipBytes(t, map[string][]byte{"secret.csv": []byte(sample)}, "s3cret", 1))
	writeFile(t, "zip_of_gzip.zip", zipBytes(t, map[string][]byte{"inner.csv.gz": gzipBytes([]byte(sample))}, "", 0))
	writeFile(t, "gzip_of_zip.zip.gz", gzipBytes(zipBytes(t, map[string][]byte{"inner.csv": []byte(sample)}, "", 0)))

	writePGP(t, sample)
}

// writePGP writes the OpenPGP test files.
func writePGP(t *testing.T, sample string) {
	t.Helper()
	// OpenPGP: a key pair, a binary message gpg → gzip → csv, and an
	// armored symmetric one. Encryption is randomised: existing files are
	// kept so that -update does not churn them.
	if _, err := os.Stat(filepath.Join("testdata", "symmetric.csv.gpg")); err == nil {
		return
	}
	key, armoredKey := testKey(t)
	writeFile(t, "nested.csv.gz.gpg", pgpEncrypt(t, gzipBytes([]byte(sample)), key, false))
	writeOptions(t, "nested.csv.gz.gpg", mustJSON(map[string]string{"gpg_private_key": armoredKey, "gpg_passphrase": testPassphrase}))
	writeFile(t, "armored.csv.asc", pgpEncrypt(t, []byte(sample), key, true))
	writeOptions(t, "armored.csv.asc", mustJSON(map[string]string{"gpg_private_key": armoredKey, "gpg_passphrase": testPassphrase}))
	writeFile(t, "symmetric.csv.gpg", pgpSymmetric(t, []byte(sample)))
	writeOptions(t, "symmetric.csv.gpg", mustJSON(map[string]string{"gpg_passphrase": testPassphrase}))

}

// writeWorkbooks writes the xlsx and xls test files.
func writeWorkbooks(t *testing.T) {
	t.Helper()
	writeFile(t, "book.xlsx", xlsxBytes(t, false))
	writeFile(t, "book_sheet.xlsx", xlsxBytes(t, false))
	writeOptions(t, "book_sheet.xlsx", `{"excel_sheet_name":"Orders"}`)
	writeFile(t, "book1904.xlsx", xlsxBytes(t, true))
	writeOptions(t, "book1904.xlsx", `{"excel_sheet_name":"Orders"}`)
	writeFile(t, "book_mode_override.xlsx", xlsxBytes(t, false))
	writeOptions(t, "book_mode_override.xlsx", `{"excel_sheet_name":"Orders","xls_date_mode_override":"mode_1"}`)
	writeFile(t, "book.xls", xlsBytes(t, false))
	writeFile(t, "book_orders.xls", xlsBytes(t, false))
	writeOptions(t, "book_orders.xls", `{"excel_sheet_name":"orders"}`)
	writeFile(t, "book1904.xls", xlsBytes(t, true))
	writeOptions(t, "book1904.xls", `{"excel_sheet_name":"Orders"}`)
	writeFile(t, "book_mode_override.xls", xlsBytes(t, false))
	writeOptions(t, "book_mode_override.xls", `{"excel_sheet_name":"Orders","xls_date_mode_override":"mode_1"}`)
}

func mustJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func gzipBytes(b []byte) []byte {
	var buf bytes.Buffer
	w := gzip.NewWriter(&buf)
	w.ModTime = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	w.Write(b)
	w.Close()
	return buf.Bytes()
}

func snappyBytes(b []byte) []byte {
	var buf bytes.Buffer
	w := snappy.NewBufferedWriter(&buf)
	w.Write(b)
	w.Close()
	return buf.Bytes()
}

// zipBytes builds a zip; enc 0 plain, 1 ZipCrypto, 2 WinZip AES-256 (AE-2).
func zipBytes(t *testing.T, files map[string][]byte, password string, enc int) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	mod := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, n := range names {
		data := files[n]
		if enc == 0 {
			w, err := zw.CreateHeader(&zip.FileHeader{Name: n, Method: zip.Deflate, Modified: mod})
			if err != nil {
				t.Fatal(err)
			}
			w.Write(data)
			continue
		}
		var comp bytes.Buffer
		fw, _ := flate.NewWriter(&comp, flate.DefaultCompression)
		fw.Write(data)
		fw.Close()
		h := &zip.FileHeader{Name: n, Method: zip.Deflate, Modified: mod, Flags: 1,
			CRC32: crc32.ChecksumIEEE(data), UncompressedSize64: uint64(len(data))}
		var body []byte
		if enc == 1 {
			z := newZipCrypto(password)
			hdr := make([]byte, 12)
			for i := range hdr {
				hdr[i] = byte(i * 37)
			}
			hdr[11] = byte(h.CRC32 >> 24)
			z.encrypt(hdr)
			c := append([]byte{}, comp.Bytes()...)
			z.encrypt(c)
			body = append(hdr, c...)
		} else {
			h.Method = 99
			extra := make([]byte, 11)
			binary.LittleEndian.PutUint16(extra, 0x9901)
			binary.LittleEndian.PutUint16(extra[2:], 7)
			binary.LittleEndian.PutUint16(extra[4:], 2) // AE-2
			copy(extra[6:], "AE")
			extra[8] = 3 // AES-256
			binary.LittleEndian.PutUint16(extra[9:], zip.Deflate)
			h.Extra = extra
			h.CRC32 = 0
			salt := []byte("0123456789abcdef")
			dk, _ := pbkdf2.Key(sha1.New, password, salt, 1000, 66)
			block, _ := aes.NewCipher(dk[:32])
			c := append([]byte{}, comp.Bytes()...)
			var ks [16]byte
			for i := range c {
				if i%16 == 0 {
					var ctr [16]byte
					binary.LittleEndian.PutUint64(ctr[:], uint64(i/16+1))
					block.Encrypt(ks[:], ctr[:])
				}
				c[i] ^= ks[i%16]
			}
			mac := hmac.New(sha1.New, dk[32:64])
			mac.Write(c)
			body = append(append(append(append([]byte{}, salt...), dk[64:66]...), c...), mac.Sum(nil)[:10]...)
		}
		h.CompressedSize64 = uint64(len(body))
		w, err := zw.CreateRaw(h)
		if err != nil {
			t.Fatal(err)
		}
		w.Write(body)
	}
	zw.Close()
	return buf.Bytes()
}

func testKey(t *testing.T) (*openpgp.Entity, string) {
	t.Helper()
	cfg := &packet.Config{Algorithm: packet.PubKeyAlgoEdDSA, Curve: packet.Curve25519}
	e, err := openpgp.NewEntity("Test", "analyzer", "test@example.com", cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.EncryptPrivateKeys([]byte(testPassphrase), nil); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	w, _ := armor.Encode(&buf, openpgp.PrivateKeyType, nil)
	if err := e.SerializePrivateWithoutSigning(w, nil); err != nil {
		t.Fatal(err)
	}
	w.Close()
	// Read it back to get an entity with the public part usable.
	el, err := openpgp.ReadArmoredKeyRing(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	return el[0], buf.String()
}

func pgpEncrypt(t *testing.T, data []byte, to *openpgp.Entity, armored bool) []byte {
	t.Helper()
	var buf bytes.Buffer
	var out io.Writer = &buf
	var aw io.WriteCloser
	if armored {
		aw, _ = armor.Encode(&buf, "PGP MESSAGE", nil)
		out = aw
	}
	w, err := openpgp.Encrypt(out, []*openpgp.Entity{to}, nil, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	w.Write(data)
	w.Close()
	if aw != nil {
		aw.Close()
	}
	return buf.Bytes()
}

func pgpSymmetric(t *testing.T, data []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	w, err := openpgp.SymmetricallyEncrypt(&buf, []byte(testPassphrase), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	w.Write(data)
	w.Close()
	return buf.Bytes()
}

// xlsxBytes builds a workbook with a "Notes" sheet and an "Orders" sheet
// holding a preamble, dates, times, numbers and text.
func xlsxBytes(t *testing.T, date1904 bool) []byte {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	if date1904 {
		v := true
		if err := f.SetWorkbookProps(&excelize.WorkbookPropsOptions{Date1904: &v}); err != nil {
			t.Fatal(err)
		}
	}
	f.SetSheetName("Sheet1", "Notes")
	f.SetSheetRow("Notes", "A1", &[]any{"topic", "note"})
	f.SetSheetRow("Notes", "A2", &[]any{"a", "first"})
	f.SetSheetRow("Notes", "A3", &[]any{"b", "second"})
	f.NewSheet("Orders")
	f.SetCellValue("Orders", "A1", "Orders export")
	f.SetSheetRow("Orders", "A3", &[]any{"Order ID", "Customer", "Ordered", "Amount", "Paid", "At"})
	dateStyle, _ := f.NewStyle(&excelize.Style{NumFmt: 14})
	timeStyle, _ := f.NewStyle(&excelize.Style{NumFmt: 22})
	rows := []struct {
		id     int
		cust   string
		serial float64
		amt    float64
		paid   bool
		at     float64
	}{
		{1001, "Ann", 44197, 10.5, true, 44197.5},
		{1002, "Bob", 44228, 20, false, 44228.25},
		{1003, "Cy", 44256, 30.25, true, 44256.75},
	}
	for i, r := range rows {
		row := i + 4
		cell := func(col string) string { c, _ := excelize.JoinCellName(col, row); return c }
		f.SetCellValue("Orders", cell("A"), r.id)
		f.SetCellValue("Orders", cell("B"), r.cust)
		f.SetCellValue("Orders", cell("C"), r.serial)
		f.SetCellStyle("Orders", cell("C"), cell("C"), dateStyle)
		f.SetCellValue("Orders", cell("D"), r.amt)
		f.SetCellValue("Orders", cell("E"), r.paid)
		f.SetCellValue("Orders", cell("F"), r.at)
		f.SetCellStyle("Orders", cell("F"), cell("F"), timeStyle)
	}
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

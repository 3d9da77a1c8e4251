package analyzer

import (
	"archive/zip"
	"context"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/xuri/excelize/v2"
)

func isXLSX(zr *zip.Reader) bool {
	for _, f := range zr.File {
		if f.Name == "xl/workbook.xml" {
			return true
		}
	}
	return false
}

// excelSerialText turns a date serial into cell text: "2006-01-02" for
// whole days, "2006-01-02 15:04:05" with a time, "15:04:05" below one day.
func excelSerialText(v float64, date1904 bool) string {
	t, err := excelize.ExcelDateToTime(v, date1904)
	if err != nil {
		return strconv.FormatFloat(v, 'f', -1, 64)
	}
	t = t.Round(time.Second)
	switch {
	case v < 1 && v >= 0:
		return t.Format("15:04:05")
	case v == math.Trunc(v):
		return t.Format("2006-01-02")
	}
	return t.Format("2006-01-02 15:04:05")
}

func dateMode(s *settings, workbook1904 bool) bool {
	switch s.o.XLSDateMode {
	case "mode_0", "0", "1900":
		return false
	case "mode_1", "1", "1904":
		return true
	}
	return workbook1904
}

func pickSheets(s *settings, name string, all []string) ([]string, error) {
	if s.o.ExcelSheetName == "" {
		return all, nil
	}
	for _, sh := range all {
		if sh == s.o.ExcelSheetName {
			return []string{sh}, nil
		}
	}
	for _, sh := range all {
		if strings.EqualFold(strings.TrimSpace(sh), strings.TrimSpace(s.o.ExcelSheetName)) {
			return []string{sh}, nil
		}
	}
	return nil, fmt.Errorf("analyzer: %s: no sheet named %q (sheets: %s)", name, s.o.ExcelSheetName, strings.Join(all, ", "))
}

func walkXLSX(ctx context.Context, s *settings, ra io.ReaderAt, size int64, name string, containers []string, fn func(*Table) error) error {
	f, err := excelize.OpenReader(io.NewSectionReader(ra, 0, size))
	if err != nil {
		return fmt.Errorf("analyzer: %s: %w", name, err)
	}
	defer f.Close()
	props, _ := f.GetWorkbookProps()
	d1904 := dateMode(s, props.Date1904 != nil && *props.Date1904)
	all := f.GetSheetList()
	sheets, err := pickSheets(s, name, all)
	if err != nil {
		return err
	}
	for _, sh := range sheets {
		rows, err := f.Rows(sh)
		if err != nil {
			return fmt.Errorf("analyzer: %s#%s: %w", name, sh, err)
		}
		src := &xlsxRows{rows: rows, d1904: d1904}
		t := &Table{Name: name + "#" + sh, Kind: KindXLSX, Containers: containers, Sheet: sh, Sheets: all, src: src}
		err = fn(t)
		rows.Close()
		if err != nil {
			return err
		}
	}
	return nil
}

type xlsxRows struct {
	rows  *excelize.Rows
	d1904 bool
	n     int
	row   []string
}

func (x *xlsxRows) Next() ([]string, int, error) {
	for x.rows.Next() {
		x.n++
		formatted, err := x.rows.Columns()
		if err != nil {
			return nil, x.n, &ParseError{Line: x.n, Err: err}
		}
		raw, err := x.rows.Columns(excelize.Options{RawCellValue: true})
		if err != nil {
			return nil, x.n, &ParseError{Line: x.n, Err: err}
		}
		x.row = x.row[:0]
		for i, v := range formatted {
			if i < len(raw) && raw[i] != v && looksLikeDateText(v) {
				if f, err := strconv.ParseFloat(raw[i], 64); err == nil {
					v = excelSerialText(f, x.d1904)
				}
			}
			x.row = append(x.row, v)
		}
		if len(x.row) == 0 {
			continue
		}
		return x.row, x.n, nil
	}
	if err := x.rows.Error(); err != nil {
		return nil, x.n, &ParseError{Line: x.n, Err: err}
	}
	return nil, x.n + 1, io.EOF
}

// looksLikeDateText reports formatted cell text that came from a date or
// time number format (not currency, percent or grouping).
func looksLikeDateText(v string) bool {
	if v == "" || strings.ContainsAny(v, "%$€£,") {
		return false
	}
	return strings.ContainsAny(v, "/-:") || strings.ContainsAny(v, "JFMASONDjfmasond")
}

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
		src := &xlsxRows{f: f, sheet: sh, rows: rows, d1904: d1904, dateStyle: map[int]bool{}}
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
	f         *excelize.File
	sheet     string
	rows      *excelize.Rows
	d1904     bool
	n         int
	row       []string
	dateStyle map[int]bool
}

func (x *xlsxRows) Next() ([]string, int, error) {
	for x.rows.Next() {
		x.n++
		raw, err := x.rows.Columns(excelize.Options{RawCellValue: true})
		if err != nil {
			return nil, x.n, &ParseError{Line: x.n, Err: err}
		}
		x.row = x.row[:0]
		for i, v := range raw {
			if (v == "0" || v == "1") && x.isBoolCell(i+1, x.n) {
				v = "FALSE"
				if raw[i] == "1" {
					v = "TRUE"
				}
			} else if v != "" && (v[0] >= '0' && v[0] <= '9' || v[0] == '.') {
				if f, err := strconv.ParseFloat(v, 64); err == nil && x.isDateCell(i+1, x.n) {
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

func (x *xlsxRows) isBoolCell(col, row int) bool {
	name, err := excelize.CoordinatesToCellName(col, row)
	if err != nil {
		return false
	}
	t, err := x.f.GetCellType(x.sheet, name)
	return err == nil && t == excelize.CellTypeBool
}

// isDateCell reports whether the cell's number format is a date or time.
func (x *xlsxRows) isDateCell(col, row int) bool {
	name, err := excelize.CoordinatesToCellName(col, row)
	if err != nil {
		return false
	}
	idx, err := x.f.GetCellStyle(x.sheet, name)
	if err != nil || idx == 0 {
		return false
	}
	if d, ok := x.dateStyle[idx]; ok {
		return d
	}
	d := false
	if st, err := x.f.GetStyle(idx); err == nil {
		switch {
		case st.CustomNumFmt != nil:
			d = isDateFormatCode(*st.CustomNumFmt)
		default:
			n := st.NumFmt
			d = n >= 14 && n <= 22 || n >= 27 && n <= 36 || n >= 45 && n <= 47 || n >= 50 && n <= 58
		}
	}
	x.dateStyle[idx] = d
	return d
}

// isDateFormatCode reports an Excel number format code that shows a date
// or time: y, d, h or s outside quotes and brackets.
func isDateFormatCode(code string) bool {
	in := false
	for i := 0; i < len(code); i++ {
		c := code[i]
		switch {
		case c == '"':
			in = !in
		case in:
		case c == '\\':
			i++
		case c == '[':
			if j := strings.IndexByte(code[i:], ']'); j > 0 {
				i += j
			}
		case c == 'y' || c == 'Y' || c == 'd' || c == 'D' || c == 'h' || c == 'H' || c == 's' || c == 'S':
			return true
		}
	}
	return false
}

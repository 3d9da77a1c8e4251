package analyzer_test

import (
	"context"
	"fmt"
	"strings"

	"github.com/openqluster/qluster-go/analyzer"
)

func ExampleAnalyze() {
	data := "Sales report\n\nDate;Amount;Paid\n01/02/2023;1.234,50 €;yes\n25/02/2023;12,00 €;no\n"
	res, err := analyzer.Analyze(context.Background(), strings.NewReader(data), "sales.csv", nil)
	if err != nil {
		panic(err)
	}
	fmt.Printf("%s, delimiter %q, header on line %d, %d rows\n", res.Kind, *res.Delimiter, res.HeaderLine, res.DataRows)
	for _, c := range res.Columns {
		fmt.Println(c.Name, c.PGType(), c.DatetimeFormats)
	}
	// Output:
	// csv, delimiter ";", header on line 3, 2 rows
	// date date [%d/%m/%Y]
	// amount numeric []
	// paid boolean []
}

func ExampleCast() {
	col := &analyzer.Column{Name: "amount", Type: analyzer.TypeBigInt, DollarToCent: true,
		Number: analyzer.NumberStyle{Thousands: ",", Currency: true}}
	if err := col.Compile(nil); err != nil {
		panic(err)
	}
	v, err := analyzer.Cast("$1,234.50", col)
	fmt.Println(v, err)
	_, err = analyzer.Cast("about 3 dollars", col)
	fmt.Println(err)
	// Output:
	// 123450 <nil>
	// analyzer: column "amount": cannot cast "about 3 dollars" to bigint (expected a whole number; if this value means no value, add it to null_values for this column)
}

package qluster_test

import (
	"fmt"
	"time"

	"github.com/openqluster/qluster-go/qluster"
)

// Training merges the columns of several files along the type lattice.
func ExampleWidestType() {
	fmt.Println(qluster.WidestType("smallint", "bigint"))
	fmt.Println(qluster.WidestType("integer", "double precision"))
	fmt.Println(qluster.WidestType("date", "timestamptz"))
	fmt.Println(qluster.WidestType("varchar(10)", "varchar(40)"))
	fmt.Println(qluster.WidestType("boolean", "date"))
	// Output:
	// bigint
	// numeric
	// timestamptz
	// varchar(40)
	// text
}

// A later migration keeps every column in force, widens and appends.
func ExampleEvolveSchema() {
	cur := &qluster.TableSchema{Columns: []qluster.ColumnSpec{{Name: "id", Type: "integer"}, {Name: "day", Type: "date"}}}
	next := &qluster.TableSchema{Columns: []qluster.ColumnSpec{{Name: "id", Type: "bigint"}, {Name: "region", Type: "text", Nullable: true}}}
	s, changes := qluster.EvolveSchema(cur, next)
	for _, c := range s.Columns {
		fmt.Println(c.Name, c.Type, changes[c.Name])
	}
	// Output:
	// id bigint widened
	// day date kept
	// region text new
}

// Migrations of a dataset with the migration_window policy wait for the window.
func ExampleNextWindow() {
	now := time.Date(2026, 11, 26, 15, 0, 0, 0, time.UTC)
	at, _ := qluster.NextWindow("02:00-04:00", now)
	fmt.Println(at)
	at, _ = qluster.NextWindow("14:00-16:00", now)
	fmt.Println(at)
	// Output:
	// 2026-11-27 02:00:00 +0000 UTC
	// 2026-11-26 15:00:00 +0000 UTC
}

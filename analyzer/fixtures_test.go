package analyzer

import (
	"strings"
)

// fixture is one test file: its content and, optionally, the options
// (as API JSON) used to analyse it.
type fixture struct {
	name    string
	content string
	options string
}

func lines(ls ...string) string { return strings.Join(ls, "\n") + "\n" }

// textFixtures are the text test files, written to testdata/ by
// `go test ./analyzer -update`.
var textFixtures = []fixture{
	{name: "basic_comma.csv", content: lines(
		"id,name,city,joined",
		"1,Alice,Paris,2021-03-04",
		"2,Bob,London,2021-04-05",
		"3,Carol,Berlin,2021-05-06",
	)},
	{name: "semicolon_eu_numbers.csv", content: lines(
		"produit;prix;quantité",
		"pomme;1,50;10",
		"poire;2,75;5",
		"melon;12,00;1",
	)},
	{name: "tab_separated.tsv", content: lines(
		"code\tlabel\tvalue",
		"A1\tfirst\t10",
		"B2\tsecond\t-20",
		"C3\tthird, with comma\t30",
	)},
	{name: "pipe_delimited.csv", content: lines(
		"sku|desc|price",
		"X-1|Widget, small|3.50",
		"X-2|Widget, large|7.25",
		"X-3|Gadget|10",
	)},
	{name: "quoted_fields.csv", content: lines(
		`id,comment,amount`,
		`1,"Hello, world",10`,
		`2,"He said ""hi""",20`,
		`3,"multi`,
		`line, with comma",30`,
		`4,plain,40`,
	)},
	{name: "escape_backslash.csv", content: lines(
		`id,quote`,
		`1,"She said \"yes\" loudly"`,
		`2,"Path C:\\temp"`,
		`3,"no escape here"`,
	)},
	{name: "single_quote.csv", content: lines(
		`id,name,note`,
		`1,'Smith, John','a'`,
		`2,'Doe, Jane','b'`,
		`3,'Roe, Rick','c'`,
	)},
	{name: "crlf.csv", content: strings.ReplaceAll(lines(
		"a,b,c",
		"1,2,3",
		"4,5,6",
	), "\n", "\r\n")},
	{name: "cr_only.csv", content: strings.ReplaceAll(lines(
		"a,b",
		"x,1",
		"y,2",
	), "\n", "\r")},
	{name: "mixed_line_endings.csv", content: "id,val\r\n1,a\n2,b\r\n3,c\r4,d\r\n"},
	{name: "bom_utf8.csv", content: "\ufeff" + lines(
		"nom,ville,montant",
		"Zoë,Orléans,3.5",
		"Chloé,Besançon,4",
	)},
	{name: "preamble.csv", content: lines(
		"ACME Corp sales export",
		"Generated: 2023-01-31 10:00",
		"",
		"region,rep,units,revenue",
		"North,Ann,10,100.50",
		"South,Bob,20,200.75",
		"East,Cy,30,300",
	)},
	{name: "footer_rules.csv", content: lines(
		"item,qty,price",
		"-----,-----,-----",
		"apple,1,0.5",
		"pear,2,0.75",
		"=====,=====,=====",
		"Total,,",
		"Grand Total,,",
	), options: `{"ignore_lines_that_include_only_subset_of_words_override":["total","grand"]}`},
	{name: "ignore_matchers.csv", content: lines(
		"id,status,value",
		"1,ok,10",
		"# comment line,,",
		"2,SKIP,not a number",
		"3,ok,30",
	), options: `{"ignore_matchers_override":{"status":"^SKIP$","*":"^# "}}`},
	{name: "ignore_columns.csv", content: lines(
		"id,secret,name,internal_code,amount",
		"1,pw1,Ann,X,10",
		"2,pw2,Bob,Y,20",
	), options: `{"ignore_column_names_override":["Secret"],"ignore_column_ids":["3"]}`},
	{name: "identify_header.csv", content: lines(
		"Quarterly,report,,",
		"prepared by,finance,,",
		"Region,Quarter,Sales,Target",
		"EU,Q1,100,90",
		"US,Q1,200,210",
	), options: `{"identify_header_by_column_names":["sales","region"]}`},
	{name: "raw_headers.csv", content: lines(
		"1,Ann,2020-01-01",
		"2,Bob,2020-02-01",
	), options: `{"raw_headers":["ID","Full Name","Start Date"]}`},
	{name: "no_header.csv", content: lines(
		"1,10.5,2020-01-01",
		"2,11.5,2020-01-02",
		"3,12.5,2020-01-03",
	)},
	{name: "chunk_size_header.csv", content: lines(
		"note",
		"note",
		"note",
		"a,b",
		"1,2",
		"3,4",
	), options: `{"chunk_size_to_read_for_header":10}`},
	{name: "bad_rows.csv", content: lines(
		`id,name,score`,
		`1,"Ann`,
		`Marie",5`,
		`2,Bob`,
		`3,Cy,7,extra`,
		`4,Di,8`,
		`5,Ed,9,,`,
	)},
	{name: "unterminated_quote.csv", content: lines(
		`id,text`,
		`1,ok`,
		`2,"never closed`,
		`3,still inside`,
	)},
	{name: "field_names.csv", content: lines(
		"First Name,e-mail,Amount ($),#,2019 Sales,,Name,name,createdAt,HTTPServer,Café Größe,"+strings.Repeat("very long column name ", 5),
		"v1,v2,v3,v4,v5,v6,v7,v8,v9,v10,v11,v12",
	)},
	{name: "field_name_conversions.csv", content: lines(
		"Cust #,Pct %,Qty,Notes",
		"1,5,2,x",
	), options: `{"field_name_full_conversion_override":{"Qty":"quantity"},"field_name_part_conversion_override":{"Cust":"customer","%":"pct"}}`},
	{name: "nulls_default.csv", content: lines(
		"a,b,c",
		"1,NULL,x",
		"N/A,2,",
		"3,none,-",
		"4,5,NaN",
	)},
	{name: "null_values_custom.csv", content: lines(
		"id,score,label",
		"1,missing,x",
		"2,10,?",
		"3,unknown,y",
		"4,12,z",
	), options: `{"null_values_override":["missing"],"null_values_per_column_override":{"score":["unknown"]}}`},
	{name: "booleans.csv", content: lines(
		"a,b,c",
		"true,Y,T",
		"FALSE,n,f",
		"True,yes,t",
		"false,No,",
	)},
	{name: "boolean_custom.csv", content: lines(
		"flag,esp",
		"1,sí",
		"0,no",
		"1,sí",
	), options: `{"boolean_true_override":["1","sí"],"boolean_false_override":["0","no"]}`},
	{name: "integers.csv", content: lines(
		"small,medium,large,huge",
		"1,40000,3000000000,99999999999999999999",
		"-32768,-2147483648,-1,1",
		"32767,2147483647,9223372036854775807,2",
	)},
	{name: "leading_zeros.csv", content: lines(
		"zip,count",
		"01234,1",
		"00501,2",
		"90210,3",
	)},
	{name: "numeric_decimal.csv", content: lines(
		"price,ratio",
		"1.50,0.333",
		"20,1.0",
		"-3.25,.5",
	)},
	{name: "currency.csv", content: lines(
		`usd,eur,gbp,net`,
		`"$1,234.56",€10,£3.50,(12.00)`,
		`$12.00,€1.5,£0.99,14.50`,
		`$0.99,€2,£100,(0.50)`,
	)},
	{name: "european_numbers.csv", content: lines(
		"artikel;betrag;menge",
		"A;1.234,56;1.000",
		"B;12,5;2.500",
		"C;1.000.000,00;3",
	)},
	{name: "thousands_late.csv", content: lines(
		`amount`,
		`"1,234"`,
		`"5,678"`,
		`"9,012"`,
		`"1,234.5"`,
	)},
	{name: "dollar_to_cent.csv", content: lines(
		"item,price",
		"a,$1.50",
		"b,$20",
		"c,$0.05",
	), options: `{"dollar_to_cent":true}`},
	{name: "floats.csv", content: lines(
		"x,y",
		"1.5e3,inf",
		"-2E-4,NaN",
		"3,1.0",
	)},
	{name: "dates_iso.csv", content: lines(
		"d,ts",
		"2021-01-05,2021-01-05T10:00:00",
		"2021-12-31,2021-12-31T23:59:59",
		"2020-02-29,2020-02-29T00:00:00",
	)},
	{name: "dates_dayfirst_late.csv", content: lines(
		"when",
		"01/02/2021", "03/04/2021", "05/06/2021", "07/08/2021", "09/10/2021",
		"11/12/2021", "02/01/2022", "04/03/2022", "06/05/2022", "08/07/2022",
		"25/12/2022",
	)},
	{name: "dates_monthfirst_late.csv", content: lines(
		"when",
		"01/02/2021", "03/04/2021", "05/06/2021",
		"12/31/2021",
	)},
	{name: "dates_ambiguous.csv", content: lines(
		"when",
		"01/02/2021",
		"03/04/2021",
		"05/06/2021",
	)},
	{name: "dates_month_names.csv", content: lines(
		`a,b,c`,
		`05-Jan-2021,"Jan 5, 2021",5 January 2021`,
		`17-Mar-2021,"Mar 17, 2021",17 March 2021`,
		`01-Dec-2020,"Dec 1, 2020",1 December 2020`,
	)},
	{name: "timestamps.csv", content: lines(
		"created,updated",
		"03/15/2021 14:30,2021-03-15 14:30:00.123",
		"12/01/2021 09:05,2021-12-01 09:05:00.5",
		"01/31/2022 23:59,2022-01-31 23:59:59.999999",
	)},
	{name: "timestamptz.csv", content: lines(
		"at,at2",
		"2021-03-15T14:30:00Z,2021-03-15 14:30:00+02:00",
		"2021-03-15T14:30:00+01:00,2021-03-15 14:30:00-0500",
		"2021-03-15T14:30:00-07:00,2021-03-15 14:30:00+00:00",
	)},
	{name: "times.csv", content: lines(
		"t24,t12",
		"14:30:00,2:30 PM",
		"09:05:59,11:05 am",
		"00:00:00,12:00 AM",
	)},
	{name: "epoch.csv", content: lines(
		"id,created_at",
		"1,1609459200",
		"2,1612137600",
		"3,1614556800",
	), options: `{"infer_datetime_for_columns_override":["created_at"]}`},
	{name: "datetime_formats_option.csv", content: lines(
		"stamp",
		"2021.03.15 14h30",
		"2021.12.01 09h05",
	), options: `{"datetime_formats_override":["%Y.%m.%d %Hh%M"]}`},
	{name: "datetime_user_resolves.csv", content: lines(
		"d,n",
		"01/02/2021,20210102",
		"03/04/2021,20210304",
	), options: `{"datetime_formats_override":["%d/%m/%Y","%Y%m%d"]}`},
	{name: "datetime_per_column.csv", content: lines(
		"a,b",
		"20210315,20210315",
		"20211201,20211201",
	), options: `{"datetime_formats_per_column_override":{"a":["%Y%m%d"]}}`},
	{name: "strict_datetime.csv", content: lines(
		"d",
		"2021-01-05",
		"05/01/2021",
		"2021-02-06",
	), options: `{"strictly_one_datetime_format_in_a_column":true}`},
	{name: "mixed_datetime.csv", content: lines(
		"d",
		"2021-01-05",
		"25/01/2021",
		"2021-02-06",
	)},
	{name: "datetime_allowed_chars.csv", content: lines(
		"d,e",
		"2021-01-05,2021/01/05",
		"2021-02-06,2021/02/06",
	), options: `{"datetime_allowed_characters_override":"0123456789-"}`},
	{name: "json_column.csv", content: lines(
		`id,payload`,
		`1,"{""a"": 1, ""b"": [1,2]}"`,
		`2,"[1, 2, 3]"`,
		`3,"{}"`,
	)},
	{name: "json_fix.csv", content: lines(
		`id,payload`,
		`1,"{'a': 1, 'ok': True}"`,
		`2,"{'b': None}"`,
		`3,"{""c"": 3}"`,
	), options: `{"max_tries_to_fix_json":3}`},
	{name: "fields_to_expand.csv", content: lines(
		`id,meta`,
		`1,"{""color"": ""red"", ""size"": 3}"`,
		`2,"{""color"": ""blue"", ""size"": 10, ""tag"": ""x""}"`,
		`3,"{""size"": 7}"`,
	), options: `{"fields_to_expand_override":["meta"]}`},
	{name: "arrays.csv", content: lines(
		`id,tags,pg`,
		`1,red|green,"{a,b}"`,
		`2,blue,"{c}"`,
		`3,red|blue|green,"{""d e"",f}"`,
	), options: `{"array_delimiters_override":["|"]}`},
	{name: "emails.csv", content: lines(
		"contact,other",
		"ann@example.com,ann@example.com",
		"bob.smith+tag@mail.example.org,not an email",
		",x@y.io",
	)},
	{name: "use_text.csv", content: lines(
		"name,comment",
		"Ann,short",
		"Bob,a much longer comment here",
	), options: `{"use_text_instead_of_string_override":true}`},
	{name: "all_null_column.csv", content: lines(
		"id,empty,also",
		"1,,NULL",
		"2,,n/a",
	)},
	{name: "mostly_numbers.csv", content: lines(
		"n",
		"1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11", "12", "13", "14", "15", "16", "17", "18", "19",
		"twenty",
	)},
	{name: "one_column.txt", content: lines(
		"This is a note",
		"Another line of text",
		"Third line",
	)},
	{name: "people.json", content: `[
  {"id": 1, "name": "Ann", "born": "1990-01-02", "tags": ["a"], "address": {"city": "Paris"}},
  {"id": 2, "name": "Bob", "born": null, "active": true},
  {"id": 3, "name": "Cy", "born": "1985-07-30", "active": false, "score": 9.5}
]
`},
	{name: "events.ndjson", content: lines(
		`{"event":"click","at":"2021-03-15T14:30:00Z","n":1}`,
		`{"event":"view","at":"2021-03-15T14:31:00Z","n":2}`,
		`{"event":"click","at":"2021-03-15T14:32:00+02:00","n":3,"extra":"x"}`,
	)},
	{name: "array_of_arrays.json", content: `[["id","name"],[1,"Ann"],[2,"Bob"]]` + "\n"},
	{name: "dialect_override.csv", content: lines(
		`id;x|name|note`,
		`1;a|'Smith|Jones'|it\'s`,
		`2;b|"quoted"|plain`,
		`3;c|'O\'Brien'|x`,
	), options: `{"csv_delimiter":"|","csv_quotechar":"'","csv_escapechar":"\\","csv_lineterminator":"\n"}`},
	{name: "bracket_names.csv", content: lines(
		"[id],[name]",
		"1,a",
		"2,b",
	)},
	{name: "duplicate_header_rows.csv", content: lines(
		"id,v",
		"1,a",
		"id,v",
		"2,b",
	)},
	{name: "messy_real_world.csv", content: strings.ReplaceAll(lines(
		"Monthly statement",
		"Account:,12345",
		"",
		"Date,Description,Debit,Credit,Balance",
		`03/01/2023,"Coffee, large",$4.50,,"$1,995.50"`,
		"03/02/2023,Salary,,\"$2,000.00\",\"$3,995.50\"",
		"03/15/2023,Rent,$1500.00,,\"$2,495.50\"",
		"03/28/2023,Refund,,($5.00),\"$2,490.50\"",
		"-------,-------,-------,-------,-------",
		",,,,",
	), "\n", "\r\n")},
}

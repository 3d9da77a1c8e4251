package qluster

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestAnalyzerOptions(t *testing.T) {
	t.Parallel()
	d := NewDataset()
	d.SettingsModel.BooleanTrue = []string{"oui"}
	src := NewDataSource(&d)
	src.CSVDelimiter = ";"
	src.NullValuesOverride = []string{"-"}
	opts, err := AnalyzerOptions(&d, &src)
	require.NoError(t, err)
	require.Equal(t, []string{"oui"}, opts.BooleanTrue, "the dataset's setting")
	require.Equal(t, []string{"-"}, opts.NullValues, "the source's override wins")
	require.Equal(t, ";", opts.CSVDelimiter, "the source's reading fields")
	require.Contains(t, opts.IgnoreLinesThatIncludeOnlySubsetOfWords, "total")
	require.True(t, opts.StrictlyOneDatetimeFormatInAColumn)

	noSrc, err := AnalyzerOptions(&d, nil)
	require.NoError(t, err)
	require.Contains(t, noSrc.NullValues, "N/A")
}

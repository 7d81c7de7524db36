package policy

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseJSONValueMatchesOPA(t *testing.T) {
	docs := []string{
		`{}`, `[]`, `null`, `true`, `false`, `0`, `-0`, `12`, `-3.5e+10`, `1E-2`, `123456789012345678901234567890`,
		`"a"`, `""`, `"é\u00e9\"\\\/\b\f\n\r\t"`, `"\ud83d\ude00 emoji"`, `"\ud800 lone surrogate"`,
		`{"a": [1, 2, {"b": null}], "c": {"d": "e"}, "f": []}`,
		`{"dup": 1, "dup": 2}`,
		"  {\n\t\"x\" : [ true , false ] }  ",
		`{"divisions": {"2NDE1": {"code": "2NDE1", "sts": {"present": true, "computed": null, "pp": []}}}}`,
	}
	for _, doc := range docs {
		t.Run(doc, func(t *testing.T) {
			want, err := ast.ValueFromReader(strings.NewReader(doc))
			require.NoError(t, err)
			got, err := parseJSONValue([]byte(doc))
			require.NoError(t, err)
			assert.Equal(t, 0, want.Compare(got), "want %v, got %v", want, got)
		})
	}
}

func TestParseJSONValueRejectsInvalidDocuments(t *testing.T) {
	for _, doc := range []string{
		``, `{`, `{"a"}`, `{"a":}`, `{"a":1,}`, `[1,]`, `[1 2]`, `{a:1}`, `"abc`, `"\x"`, `"\u12"`,
		"\"a\x01b\"", `01`, `1.`, `1e`, `-`, `tru`, `nul`, `{} {}`, `[] x`, "\"\xff\"",
		strings.Repeat("[", 300) + strings.Repeat("]", 300),
	} {
		t.Run(doc, func(t *testing.T) {
			_, err := parseJSONValue([]byte(doc))
			assert.Error(t, err)
		})
	}
}

func TestInputWithJSON(t *testing.T) {
	in, err := InputWithJSON(map[string]any{"uai": "0790029C", "school_year": 2026, "school": map[string]any{"uses_groups": nil}},
		"facts", []byte(`{"uai": "0790029C"}`))
	require.NoError(t, err)
	want := ast.MustParseTerm(`{"uai": "0790029C", "school_year": 2026, "school": {"uses_groups": null}, "facts": {"uai": "0790029C"}}`)
	assert.Equal(t, 0, want.Value.Compare(in.v), "%v", in.v)

	_, err = InputWithJSON(nil, "facts", []byte(`{"uai": 1} trailing`))
	assert.Error(t, err)
	_, err = InputFromJSON([]byte(`[1]`))
	assert.Error(t, err, "an input is an object")
}

func FuzzParseJSONValue(f *testing.F) {
	for _, s := range []string{`{"a": [1, 2.5, "x", null, true]}`, `"\u00e9\ud83d\ude00"`, `[{}, []]`, `-1e-5`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		got, err := parseJSONValue(data)
		if !json.Valid(data) {
			if err == nil {
				t.Fatalf("accepted invalid JSON %q", data)
			}
			return
		}
		want, werr := ast.ValueFromReader(bytes.NewReader(data))
		if werr != nil || err != nil {
			// Both may refuse what encoding/json accepts (deep nesting, huge numbers).
			return
		}
		if want.Compare(got) != 0 {
			t.Fatalf("%q: want %v, got %v", data, want, got)
		}
	})
}

package convert

import (
	"reflect"
	"testing"
)

func TestParsePropertiesReadsJavaSyntax(t *testing.T) {
	for _, tc := range []struct {
		name string
		src  string
		want []Property
	}{
		{"equals", "a = b\n", []Property{{Key: "a", Value: "b", Line: 1}}},
		{"colon", "a:b", []Property{{Key: "a", Value: "b", Line: 1}}},
		{"white space only", "a   b c", []Property{{Key: "a", Value: "b c", Line: 1}}},
		{"no value", "a\n", []Property{{Key: "a", Value: "", Line: 1}}},
		{"comments and blank lines", "# c\n! c\n\n   \n a=1", []Property{{Key: "a", Value: "1", Line: 5}}},
		{"hash inside a value", "a = b # not a comment", []Property{{Key: "a", Value: "b # not a comment", Line: 1}}},
		{"continuation", "a = one \\\n    two \\\n  three\nb=2", []Property{{Key: "a", Value: "one two three", Line: 1}, {Key: "b", Value: "2", Line: 4}}},
		{"even backslashes do not continue", "a = c:\\\\\nb = 2", []Property{{Key: "a", Value: `c:\`, Line: 1}, {Key: "b", Value: "2", Line: 2}}},
		{"escapes", `a = t\tn\nu\u00e9 \d`, []Property{{Key: "a", Value: "t\tn\nué d", Line: 1}}},
		{"escaped separator in key", `my\ key\=x = v`, []Property{{Key: "my key=x", Value: "v", Line: 1}}},
		{"CRLF", "a=1\r\nb=2\r\n", []Property{{Key: "a", Value: "1", Line: 1}, {Key: "b", Value: "2", Line: 2}}},
		{"second separator belongs to the value", "a = = b", []Property{{Key: "a", Value: "= b", Line: 1}}},
		{"surrogate pair", `a = \ud83d\ude00`, []Property{{Key: "a", Value: "😀", Line: 1}}},
		{"the malformed key of avro-hdfs.conf", "a2.sinks.k1.hdfs fileType = DataStream", []Property{{Key: "a2.sinks.k1.hdfs", Value: "fileType = DataStream", Line: 1}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseProperties(tc.src)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("got %+v, want %+v", got, tc.want)
			}
		})
	}
}

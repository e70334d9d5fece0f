package data

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
)

func TestExpandBraces(t *testing.T) {
	shards := make([]string, 100)
	for i := range shards {
		shards[i] = fmt.Sprintf("a/%05d.tar", i)
	}
	cases := []struct {
		pattern string
		want    []string
	}{
		{"plain.tar", []string{"plain.tar"}},
		{"a/{00000..00099}.tar", shards},
		{"{a,b}", []string{"a", "b"}},
		{"x{a,b}y", []string{"xay", "xby"}},
		{"{a,b}-{1..2}", []string{"a-1", "a-2", "b-1", "b-2"}},
		{"{a,{b,c}}", []string{"a", "b", "c"}},
		{"{a,b{1..2}}", []string{"a", "b1", "b2"}},
		{"{,x}y", []string{"y", "xy"}},
		{"{8..11}", []string{"8", "9", "10", "11"}},
		{"{08..11}", []string{"08", "09", "10", "11"}},
		{"{0..2}", []string{"0", "1", "2"}},
		{"{3..1}", []string{"3", "2", "1"}},
		{"{1..9..4}", []string{"1", "5", "9"}},
		{"{9..1..-4}", []string{"9", "5", "1"}},
		{"{-1..1}", []string{"-1", "0", "1"}},
		{"{5..5}", []string{"5"}},
		{"s{0..1}/{000..002}.tar", []string{"s0/000.tar", "s0/001.tar", "s0/002.tar", "s1/000.tar", "s1/001.tar", "s1/002.tar"}},
	}
	for _, c := range cases {
		t.Run(c.pattern, func(t *testing.T) {
			got, err := ExpandBraces(c.pattern)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, c.want) {
				t.Errorf("got %q, want %q", got, c.want)
			}
		})
	}
}

func TestExpandBracesErrors(t *testing.T) {
	cases := []struct{ pattern, want string }{
		{"a{0..9", `unmatched "{"`},
		{"a}b", `unmatched "}"`},
		{"{a,b}}", `unmatched "}"`},
		{"{}", "empty group"},
		{"{abc}", "neither a comma list nor a numeric range"},
		{"{a..c}", `"a" is not an integer`},
		{"{1..2..3..4}", "neither"},
		{"{1..5..0}", "step 0"},
		{"{0..99999999}", "more than"},
		{"{0..9999}{0..9999}", "more than"},
		{"{a,{b}", `unmatched "{"`},
	}
	for _, c := range cases {
		t.Run(c.pattern, func(t *testing.T) {
			got, err := ExpandBraces(c.pattern)
			if err == nil {
				t.Fatalf("got %d names, want an error containing %q", len(got), c.want)
			}
			if !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), c.pattern) {
				t.Errorf("error %q should contain %q and the pattern", err, c.want)
			}
		})
	}
}

package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/provgate/provgate/settlement"
)

// loadChecked decodes a policy or catalog file strictly and checks it,
// reporting every mistake as FILE:LINE: field: problem, so an operator can
// go straight to the line.
func loadChecked[T interface{ Check() settlement.Problems }](path string) (T, error) {
	var v T
	b, err := os.ReadFile(path)
	if err != nil {
		return v, err
	}
	var root yaml.Node
	if err := yaml.Unmarshal(b, &root); err != nil {
		return v, fmt.Errorf("%s: %w", path, err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(&v); err != nil {
		var te *yaml.TypeError
		if errors.As(err, &te) {
			lines := make([]string, len(te.Errors))
			for i, e := range te.Errors {
				lines[i] = path + ":" + strings.TrimPrefix(e, "line ")
			}
			return v, errors.New(strings.Join(lines, "\n"))
		}
		return v, fmt.Errorf("%s: %w", path, err)
	}
	if problems := v.Check(); len(problems) > 0 {
		lines := make([]string, len(problems))
		for i, p := range problems {
			lines[i] = fmt.Sprintf("%s:%d: %s: %s", path, lineOf(&root, p.Field), p.Field, p.Message)
		}
		return v, errors.New(strings.Join(lines, "\n"))
	}
	return v, nil
}

// lineOf finds the line of a field path such as med_types[0].pool.annual_cap
// in a YAML document: the deepest part of the path that exists.
func lineOf(root *yaml.Node, path string) int {
	n := root
	if n.Kind == yaml.DocumentNode && len(n.Content) > 0 {
		n = n.Content[0]
	}
	line := n.Line
	for _, part := range splitPath(path) {
		var next *yaml.Node
		if i, err := strconv.Atoi(part); err == nil && n.Kind == yaml.SequenceNode {
			if i < len(n.Content) {
				next = n.Content[i]
			}
		} else if n.Kind == yaml.MappingNode {
			for k := 0; k+1 < len(n.Content); k += 2 {
				if n.Content[k].Value == part {
					next = n.Content[k+1]
					line = n.Content[k].Line
					break
				}
			}
		}
		if next == nil {
			break
		}
		n = next
		if n.Kind == yaml.ScalarNode || n.Kind == yaml.SequenceNode && part != "" {
			line = max(line, n.Line)
		}
		if n.Kind == yaml.MappingNode && n.Line > 0 {
			line = max(line, n.Line)
		}
	}
	return line
}

// splitPath turns a.b[2].c into a, b, 2, c.
func splitPath(path string) []string {
	path = strings.NewReplacer("[", ".", "]", "").Replace(path)
	return strings.Split(path, ".")
}

package fhir

import (
	"errors"

	"github.com/valyala/fastjson"

	"github.com/provgate/provgate/settlement"
)

// Refusals name the element by its FHIRPath, but no path is built while
// reading: a reader that finds a fault returns the object it was reading
// and the member at fault, and Decode locates that object in the message
// (on the tape, or in fastjson's tree for what the scan left to it; only
// then, and only once) to write the path into the refusal.

// fault is a refusal whose FHIRPath is not written yet: the element is
// member key (".code", "[2]", or "" for node itself) of node.
type fault struct {
	node  value
	key   string
	build func(path string) *settlement.Error
}

func (f *fault) Error() string { return "fhir: fault at " + f.key }

func faultAt(node value, key string, build func(path string) *settlement.Error) error {
	return &fault{node: node, key: key, build: build}
}

// render turns a fault into the refusal, its path found under root (whose
// own name is rootName).
func render(err error, root value, rootName string) error {
	var f *fault
	if !errors.As(err, &f) {
		return err
	}
	path, ok := locate(root, f.node, rootName)
	if !ok {
		path = rootName
	}
	return f.build(path + f.key)
}

// locate finds the path of target under v by identity.
func locate(v, target value, path string) (string, bool) {
	switch {
	case target == nil:
		return "", false
	case v.kind != tree:
		return locateTape(v, target, path)
	}
	return locateTree(v.fj(), target.fj(), path)
}

// locateTree finds the path of target under v in fastjson's tree.
func locateTree(v, target *fastjson.Value, path string) (string, bool) {
	if v == target {
		return path, true
	}
	switch v.Type() {
	case fastjson.TypeObject:
		o, _ := v.Object()
		var found string
		var ok bool
		o.Visit(func(key []byte, x *fastjson.Value) {
			if !ok {
				found, ok = locateTree(x, target, path+"."+string(key))
			}
		})
		return found, ok
	case fastjson.TypeArray:
		a, _ := v.Array()
		for i, x := range a {
			if p, ok := locateTree(x, target, index(path, i)); ok {
				return p, true
			}
		}
	}
	return "", false
}

// member names the member key of an object in a fault.
func member(key string) string { return "." + key }

func wrongType(node value, key, want string) error {
	return faultAt(node, key, func(p string) *settlement.Error {
		return badMessage(p, "JSON 类型错误，应为 "+want, "wrong JSON type, want "+want)
	})
}

func missingAt(node value, key string) error {
	return faultAt(node, key, func(p string) *settlement.Error { return missing(p) })
}

func badAt(node value, key, zh, en string) error {
	return faultAt(node, key, func(p string) *settlement.Error { return badField(p, zh, en) })
}

func unknownAt(node value, key, code string, known any) error {
	return faultAt(node, key, func(p string) *settlement.Error { return unknownCode(p, code, known) })
}

// checkCode refuses a code outside its dictionary (a space-separated list),
// naming the known ones.
func checkCode(node value, key, code, known string) error {
	if oneOf(code, known) {
		return nil
	}
	return unknownAt(node, key, code, listed(known))
}

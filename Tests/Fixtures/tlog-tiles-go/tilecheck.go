// tilecheck verifies a log published as C2SP tlog-tiles with an implementation nobody at
// GenLedger wrote: golang.org/x/mod/sumdb/note (signed notes, Ed25519) and
// golang.org/x/mod/sumdb/tlog (tiles, RFC 6962 hashing, record and tree proofs), from Debian's
// golang-golang-x-mod-dev. Only the path layout is GenLedger's to state: C2SP tiles are
// tile/L/N[.p/W] (tlog's own paths carry the height, tile/8/L/N), entry bundles tile/entries/N.
//
//	tilecheck DIR VERIFIER-KEY [OLDER-CHECKPOINT-FILE]
//
// Checks the checkpoint's signature, the tree hash from the tiles, the inclusion of every
// record (each entry bundle's data hashed as a record), and, given an older checkpoint, that
// the published tree extends it. Prints "ok N" and exits 0, or says what failed and exits 1.
package main

import (
	"encoding/base64"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

func fail(format string, args ...interface{}) {
	fmt.Fprintf(os.Stderr, "tilecheck: "+format+"\n", args...)
	os.Exit(1)
}

type dirTiles struct{ dir string }

func encode(n int64) string {
	s := fmt.Sprintf("%03d", n%1000)
	for n >= 1000 {
		n /= 1000
		s = fmt.Sprintf("x%03d/%s", n%1000, s)
	}
	return s
}

func (d dirTiles) path(level int, n int64, w int) string {
	kind := strconv.Itoa(level)
	if level < 0 {
		kind = "entries"
	}
	p := filepath.Join(d.dir, "tile", kind, encode(n))
	if w < 256 {
		p += ".p/" + strconv.Itoa(w)
	}
	return p
}

func (d dirTiles) Height() int { return 8 }

func (d dirTiles) ReadTiles(tiles []tlog.Tile) ([][]byte, error) {
	out := make([][]byte, len(tiles))
	for i, t := range tiles {
		if t.H != 8 {
			return nil, fmt.Errorf("unexpected tile height %d", t.H)
		}
		data, err := os.ReadFile(d.path(t.L, t.N, t.W))
		if err != nil {
			return nil, err
		}
		out[i] = data
	}
	return out, nil
}

func (d dirTiles) SaveTiles(tiles []tlog.Tile, data [][]byte) {}

func checkpoint(path string, verifier note.Verifier) (string, tlog.Tree) {
	text, err := os.ReadFile(path)
	if err != nil {
		fail("%v", err)
	}
	n, err := note.Open(text, note.VerifierList(verifier))
	if err != nil {
		fail("%s: %v", path, err)
	}
	lines := strings.Split(n.Text, "\n")
	if len(lines) < 4 {
		fail("%s: not a checkpoint", path)
	}
	size, err := strconv.ParseInt(lines[1], 10, 64)
	if err != nil {
		fail("%s: size: %v", path, err)
	}
	raw, err := base64.StdEncoding.DecodeString(lines[2])
	if err != nil || len(raw) != 32 {
		fail("%s: root: %v", path, err)
	}
	var root tlog.Hash
	copy(root[:], raw)
	return lines[0], tlog.Tree{N: size, Hash: root}
}

func main() {
	if len(os.Args) < 3 {
		fail("usage: tilecheck DIR VERIFIER-KEY [OLDER-CHECKPOINT]")
	}
	dir := os.Args[1]
	verifier, err := note.NewVerifier(os.Args[2])
	if err != nil {
		fail("verifier key: %v", err)
	}
	origin, tree := checkpoint(filepath.Join(dir, "checkpoint"), verifier)
	tiles := dirTiles{dir}
	reader := tlog.TileHashReader(tree, tiles)
	computed, err := tlog.TreeHash(tree.N, reader)
	if err != nil {
		fail("tree hash: %v", err)
	}
	if computed != tree.Hash {
		fail("the tiles give %v, the checkpoint says %v", computed, tree.Hash)
	}
	for n := int64(0); n*256 < tree.N; n++ {
		w := int(tree.N - n*256)
		if w > 256 {
			w = 256
		}
		bundle, err := os.ReadFile(tiles.path(-1, n, w))
		if err != nil {
			fail("%v", err)
		}
		for i := 0; i < w; i++ {
			if len(bundle) < 2 {
				fail("entry bundle %d is short", n)
			}
			length := int(bundle[0])<<8 | int(bundle[1])
			data := bundle[2 : 2+length]
			bundle = bundle[2+length:]
			index := n*256 + int64(i)
			proof, err := tlog.ProveRecord(tree.N, index, reader)
			if err != nil {
				fail("record %d: %v", index, err)
			}
			if err := tlog.CheckRecord(proof, tree.N, tree.Hash, index, tlog.RecordHash(data)); err != nil {
				fail("record %d: %v", index, err)
			}
		}
		if len(bundle) != 0 {
			fail("entry bundle %d has bytes past its %d entries", n, w)
		}
	}
	if len(os.Args) > 3 {
		olderOrigin, older := checkpoint(os.Args[3], verifier)
		if olderOrigin != origin {
			fail("the older checkpoint is of %q", olderOrigin)
		}
		proof, err := tlog.ProveTree(tree.N, older.N, reader)
		if err != nil {
			fail("tree proof: %v", err)
		}
		if err := tlog.CheckTree(proof, tree.N, tree.Hash, older.N, older.Hash); err != nil {
			fail("the published tree does not extend the older checkpoint: %v", err)
		}
	}
	fmt.Printf("ok %d\n", tree.N)
}

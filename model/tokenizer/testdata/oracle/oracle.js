// Writes the expected ids of the test cases, computed by the Hugging Face
// tokenizers library itself (npm "tokenizers", the Rust core) after the text
// preparation of sentence-transformers (Python str.strip, and str.lower when
// asked). Dev-time only; the Go tests read the files it writes.
//   node oracle.js SHARED_DATA_DIR "$(go env GOMODCACHE)/github.com/sugarme/tokenizer@v0.3.0"
// The nmt_nfkc charsmap is read from that module's spm/test-data-bytes.go,
// the same bytes spm.NmtNfkc() returns to the Go tests.
const fs = require('fs');
const path = require('path');
const zlib = require('zlib');
const { Tokenizer } = require('tokenizers');

const shared = process.argv[2];
const nmtSrc = fs.readFileSync(path.join(process.argv[3], 'spm', 'test-data-bytes.go'), 'utf8');
const nmt = Buffer.from(nmtSrc.slice(nmtSrc.indexOf('[]byte{')).match(/0x[0-9A-Fa-f]{2}/g).map((h) => parseInt(h, 16))).toString('base64');
const out = path.join(__dirname, '..');
const cases = JSON.parse(fs.readFileSync(path.join(__dirname, 'cases.json'), 'utf8'));

// Python's str.isspace: Unicode White_Space plus U+001C..U+001F.
const isPySpace = (c) => /\p{White_Space}/u.test(c) || (c >= '\u001c' && c <= '\u001f');
function pyStrip(s) {
  const cs = Array.from(s);
  let i = 0, j = cs.length;
  while (i < j && isPySpace(cs[i])) i++;
  while (j > i && isPySpace(cs[j - 1])) j--;
  return cs.slice(i, j).join('');
}

function load(file, replace) {
  let s = fs.readFileSync(file, 'utf8');
  if (replace) s = s.replace('@NMT_NFKC@', nmt);
  const tk = Tokenizer.fromString(s);
  tk.disablePadding();
  tk.disableTruncation();
  return tk;
}

async function enc(tk, text, pair, maxLength, lower) {
  let a = pyStrip(text), b = pair == null ? null : pyStrip(pair);
  if (lower) { a = a.toLowerCase(); if (b != null) b = b.toLowerCase(); }
  if (maxLength > 0) tk.setTruncation(maxLength, { strategy: 'LongestFirst' }); else tk.disableTruncation();
  const e = await tk.encode(a, b);
  return { ids: e.getIds(), type_ids: e.getTypeIds() };
}

function crc32ids(ids) { return zlib.crc32(Buffer.from(ids.join(','))).toString(16).padStart(8, '0'); }

(async () => {
  const bert = load(path.join(shared, 'tokenizers/bert-base-uncased/tokenizer.json'));
  const bpe = load(path.join(out, 'bpe-bytelevel.json'));
  const uni = load(path.join(out, 'unigram-metaspace.json'), true);
  const lines = [];
  const add = async (group, tk, text, opts = {}) => {
    const r = await enc(tk, text, opts.pair, opts.max_length || 0, opts.lower);
    lines.push(JSON.stringify({ group, text, pair: opts.pair, max_length: opts.max_length || 0, lower: !!opts.lower, ...r }));
  };
  for (const t of cases.bert) await add('bert', bert, t);
  for (const t of cases.bert_lower) await add('bert', bert, t, { lower: true });
  for (const [a, b, m] of cases.bert_pairs) await add('bert', bert, a, { pair: b, max_length: m });
  for (const [a, m] of cases.bert_trunc) await add('bert', bert, a, { max_length: m });
  for (const t of cases.bpe) await add('bpe', bpe, t);
  for (const t of cases.bpe_lower) await add('bpe', bpe, t, { lower: true });
  for (const t of cases.bpe.slice(0, 6)) await add('bpe', bpe, t, { pair: 'the in', max_length: 9 });
  for (const t of cases.unigram) await add('unigram', uni, t);
  for (const t of cases.unigram.slice(0, 4)) await add('unigram', uni, t, { pair: 'ab b', max_length: 8 });
  fs.writeFileSync(path.join(out, 'oracle-cases.jsonl'), lines.join('\n') + '\n');

  // STS-B: every sentence (train then dev; sentence1 then sentence2 per row),
  // one CRC-32 of the comma-joined ids per line.
  const crcs = [];
  for (const f of ['sts-train.csv', 'sts-dev.csv']) {
    const rows = fs.readFileSync(path.join(shared, 'similarity/stsbenchmark', f), 'utf8').split('\n');
    for (const row of rows) {
      if (row === '') continue;
      const cols = row.split('\t');
      for (const t of [cols[5], cols[6]]) {
        const r = await enc(bert, t, null, 0, false);
        crcs.push(crc32ids(r.ids));
      }
    }
  }
  fs.writeFileSync(path.join(out, 'stsb-bert-base-uncased.crc32'), crcs.join('\n') + '\n');
  console.log(lines.length, 'cases,', crcs.length, 'STS-B sentences');
})();

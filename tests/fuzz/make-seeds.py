#!/usr/bin/env python3
# make-seeds.py — (re)writes the fuzz targets' seed corpora in tests/fuzz/corpus/
# from the test fixtures (tests/fixtures/**). Run from anywhere; commit the result.
# Seeds stay small: the fuzzer finds its way from there.
#
# SPDX-License-Identifier: GPL-3.0-or-later
import glob
import json
import os
import shutil

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.join(HERE, '..', 'fixtures')
CORPUS = os.path.join(HERE, 'corpus')
MAX_SEED = 4096


def write(target, name, data):
    if isinstance(data, str):
        data = data.encode('utf-8')
    data = data[:MAX_SEED]
    path = os.path.join(CORPUS, target, name)
    with open(path, 'wb') as f:
        f.write(data)


def sse_events(body):
    """(event type, data) of each event of an SSE body, roughly (seeds only)."""
    text = body.replace(b'\r\n', b'\n').replace(b'\r', b'\n')
    for block in text.split(b'\n\n'):
        event, data = None, []
        for line in block.split(b'\n'):
            if line.startswith(b'data:'):
                data.append(line[5:].lstrip(b' '))
            elif line.startswith(b'event:'):
                event = line[6:].strip()
        if data:
            yield event, b'\n'.join(data)


def sse_bodies():
    """Every SSE body of the fixtures: Kimi's streams, the wire captures, the vectors."""
    for path in sorted(glob.glob(os.path.join(FIXTURES, 'api', 'kimi', '*.sse'))):
        yield os.path.basename(path), open(path, 'rb').read()
    for path in sorted(glob.glob(os.path.join(FIXTURES, 'api', 'wire', '*', '*.txt'))):
        raw = open(path, 'rb').read()
        if raw.startswith(b'HTTP/') and b'\r\n\r\n' in raw:
            raw = raw.split(b'\r\n\r\n', 1)[1]
        if raw.startswith(b'data:'):
            yield 'wire-' + os.path.basename(os.path.dirname(path)) + '-' + os.path.basename(path), raw
    vectors = json.load(open(os.path.join(FIXTURES, 'api', 'sse-vectors.json'), encoding='utf-8'))
    for i, vector in enumerate(vectors['vectors']):
        if 'input_hex' in vector:
            body = bytes.fromhex(vector['input_hex'])
        else:
            body = vector['input'].encode('utf-8')
        yield 'vector-%02d' % i, body


def seeds_sse_parser():
    for i, (name, body) in enumerate(sse_bodies()):
        # Byte 0: default caps; byte 1: the cut seed.
        write('sse-parser', name, bytes([0, i & 0xFF]) + body)
    doc = open(os.path.join(FIXTURES, 'api', 'kimi', 'doc-stream.sse'), 'rb').read()
    # Small line cap, small event cap, stop at [DONE].
    write('sse-parser', 'caps-line', bytes([0x41, 1]) + doc)
    write('sse-parser', 'caps-event', bytes([0x82, 2]) + doc)
    write('sse-parser', 'stop-at-done', bytes([0x04, 3]) + doc + b'data: after\n\n')


def seeds_chunk():
    for name, body in sse_bodies():
        payloads = []
        for event, data in sse_events(body):
            payloads.append((b'!' if event == b'error' else b'') + data)
        if payloads:
            write('chunk', name, b'\0'.join(payloads))
    errors = json.load(open(os.path.join(FIXTURES, 'api', 'kimi', 'errors.json'), encoding='utf-8'))
    for i, case in enumerate(errors['cases'][:8]):
        write('chunk', 'error-event-%02d' % i, '!' + case['body'])


MESSAGE_EXTRAS = [
    {},
    {'state': 'done', 'finish_reason': 'stop', 'model': 'kimi-k2-turbo-preview',
     'usage': {'prompt_tokens': 12, 'completion_tokens': 34, 'total_tokens': 46,
               'cached_tokens': 0, 'reasoning_tokens': 5}},
    {'state': 'streaming'},
    {'state': 'failed', 'error': {'domain': 'moon-api-error-quark', 'code': 4,
                                  'message': 'Too many requests'}},
    {'state': 'interrupted', 'future_field': {'nested': [1, 2, {'x': None}]}},
    {'state': 'cancelled', 'partial': True, 'name': 'Narrator'},
]


def conversation(name, messages, n):
    out = []
    for i, message in enumerate(messages):
        m = dict(message)
        m['id'] = '00000000-0000-4000-8000-%012d' % (n * 100 + i)
        m['created'] = '2026-01-31T09:30:%02d.%06dZ' % (i % 60, i * 7)
        m.update(MESSAGE_EXTRAS[(i + n) % len(MESSAGE_EXTRAS)])
        out.append(m)
    return {
        'format': 'moonchat-conversation',
        'version': 1,
        'id': '8b0c6a3e-2a4f-4d0e-9a57-%012d' % n,
        'title': name,
        'title_is_custom': n % 2 == 0,
        'created': '2026-01-31T09:30:00Z',
        'updated': '2026-01-31T09:41:12.503112Z',
        'settings': {'model': 'kimi-k2-turbo-preview', 'system_prompt': 'You are Kimi.',
                     'temperature': 0.6, 'max_tokens': 2048, 'context_message_limit': 20,
                     'context_token_budget': 0, 'thinking': n % 3 == 0, 'summary_enabled': False,
                     'partial_prefix': 'Once upon', 'partial_name': 'Narrator', 'x-sync': 'kept'},
        'summary': {'text': 'They discussed things.', 'first_message_id': out[0]['id'] if out else '',
                    'last_message_id': out[-1]['id'] if out else ''},
        'messages': out,
        'unknown_top_level': [True, None, 1.5],
    }


def seeds_history():
    n = 0
    for path in sorted(glob.glob(os.path.join(FIXTURES, 'context', '*.json'))):
        fixture = json.load(open(path, encoding='utf-8'))
        messages = fixture.get('messages') if isinstance(fixture, dict) else None
        if not messages:
            continue
        name = os.path.splitext(os.path.basename(path))[0]
        doc = conversation(name, messages, n)
        text = json.dumps(doc, ensure_ascii=False, separators=(',', ':'))
        if len(text.encode('utf-8')) <= MAX_SEED:
            write('conversation', name + '.json', text)
        for i, message in enumerate(doc['messages'][:3]):
            write('message', '%s-%d.json' % (name, i), json.dumps(message, ensure_ascii=False))
        n += 1
    write('conversation', 'minimal.json', '{"format":"moonchat-conversation","version":1,"messages":[]}')
    write('conversation', 'newer-version.json',
          '{"format":"moonchat-conversation","version":2.5,"messages":[{"role":"user","content":"hi"}]}')
    write('conversation', 'wrong-type.json',
          '{"format":"moonchat-conversation","version":1,"title":7,"messages":[{"role":"martian"}]}')
    write('message', 'minimal.json', '{"role":"user"}')
    write('message', 'tool.json', '{"role":"tool","content":"{\\"temp_c\\": 24}","tool_call_id":"get_weather:1"}')


MARKDOWN_DOCS = [
    "```\n\nnot a paragraph\n\nstill code\n```\n\nafter\n",
    "1. one\n\n1. two\n\n1. three\n\nafter\n",
    "> a\n\n> b\n\nc\n\n***\n\n# h\n\n>\n\nd\n",
    "````\n```\n\ninner\n```\n\nstill inner\n````\n\nout\n",
    "| a | b |\n|---|:-:|\n| 1 | 2 |\n\n| c |\n|---|\n| 3 |\n\nend\n",
    "- item\n\n  continued\n\nnot continued\n\n1) a\n\n2) b\n\nz\n",
    "line\r\n\r\n```\r\n\r\ncode\r\n```\r\n\r\nend\r\n",
    "See [the docs][d] for more.\n\nAnother paragraph.\n\n[d]: https://example.org/docs\n\nThe end.\n",
    "- [ ] task\n- [x] done\n\n中文段落，带**粗体**和`代码`。\n\n<span foreground='red'>x</span> & <b>\n",
    "# Title\n\n**bold *nested* text** ~~gone~~ [link](https://e.org \"t\") <https://auto.link>\n\n---\n",
]


def seeds_markdown():
    mixed = open(os.path.join(FIXTURES, 'markdown', 'mixed.md'), 'rb').read()
    write('markdown', 'mixed.md', bytes([1]) + mixed)
    for i, doc in enumerate(MARKDOWN_DOCS):
        write('markdown', 'doc-%02d.md' % i, bytes([i]) + doc.encode('utf-8'))


def main():
    for target in ('sse-parser', 'chunk', 'conversation', 'message', 'markdown'):
        shutil.rmtree(os.path.join(CORPUS, target), ignore_errors=True)
        os.makedirs(os.path.join(CORPUS, target))
    seeds_sse_parser()
    seeds_chunk()
    seeds_history()
    seeds_markdown()


if __name__ == '__main__':
    main()

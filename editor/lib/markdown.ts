/**
 * The Markdown a sticky note shows: headings, paragraphs, bullet and numbered lists, code
 * blocks, and inline bold, italic, code and http(s) links. Parsed into a small tree that the
 * note renders as React elements, so no HTML from a note ever reaches the page.
 */
export type Inline = { t: 'text'; v: string } | { t: 'code'; v: string } | { t: 'b'; c: Inline[] } | { t: 'i'; c: Inline[] } | { t: 'a'; href: string; c: Inline[] };
export type Block = { t: 'h'; level: 1 | 2 | 3; c: Inline[] } | { t: 'p'; c: Inline[] } | { t: 'ul' | 'ol'; items: Inline[][] } | { t: 'pre'; v: string };

const LINK = /^\[([^\]]+)\]\((https?:\/\/[^\s)]+)\)/;

/** Inline Markdown: `code`, **bold**, *italic* or _italic_, [text](https://...). */
export function inline(src: string): Inline[] {
  const out: Inline[] = [];
  let text = '';
  const flush = () => {
    if (text) out.push({ t: 'text', v: text });
    text = '';
  };
  for (let i = 0; i < src.length; ) {
    const rest = src.slice(i);
    const code = /^`([^`]+)`/.exec(rest);
    const bold = /^\*\*(.+?)\*\*/.exec(rest);
    const em = /^([*_])(?!\s)(.+?)\1/.exec(rest);
    const link = LINK.exec(rest);
    if (code) {
      flush();
      out.push({ t: 'code', v: code[1] });
      i += code[0].length;
    } else if (bold) {
      flush();
      out.push({ t: 'b', c: inline(bold[1]) });
      i += bold[0].length;
    } else if (em && !(em[1] === '_' && /\w/.test(src[i - 1] ?? ''))) {
      flush();
      out.push({ t: 'i', c: inline(em[2]) });
      i += em[0].length;
    } else if (link) {
      flush();
      out.push({ t: 'a', href: link[2], c: inline(link[1]) });
      i += link[0].length;
    } else {
      text += src[i];
      i++;
    }
  }
  flush();
  return out;
}

export function markdown(src: string): Block[] {
  const lines = src.replace(/\r\n?/g, '\n').split('\n');
  const out: Block[] = [];
  let para: string[] = [];
  const endPara = () => {
    if (para.length) out.push({ t: 'p', c: inline(para.join(' ')) });
    para = [];
  };
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    if (/^```/.test(line)) {
      endPara();
      const code: string[] = [];
      while (++i < lines.length && !/^```/.test(lines[i])) code.push(lines[i]);
      out.push({ t: 'pre', v: code.join('\n') });
      continue;
    }
    const h = /^(#{1,3})\s+(.*)$/.exec(line);
    if (h) {
      endPara();
      out.push({ t: 'h', level: h[1].length as 1 | 2 | 3, c: inline(h[2]) });
      continue;
    }
    const item = /^\s*(?:([-*+])|(\d+)[.)])\s+(.*)$/.exec(line);
    if (item) {
      endPara();
      const kind: 'ul' | 'ol' = item[1] ? 'ul' : 'ol';
      const last = out[out.length - 1];
      if (last && last.t === kind && lines[i - 1] !== '') last.items.push(inline(item[3]));
      else out.push({ t: kind, items: [inline(item[3])] });
      continue;
    }
    if (line.trim() === '') endPara();
    else para.push(line.trim());
  }
  endPara();
  return out;
}

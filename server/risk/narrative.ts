/** A generated XHTML narrative holding one paragraph of plain text (dom-6: resources should have narrative). */
export function textNarrative(text: string): { status: 'generated'; div: string } {
  const escaped = text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  return { status: 'generated', div: `<div xmlns="http://www.w3.org/1999/xhtml"><p>${escaped}</p></div>` };
}

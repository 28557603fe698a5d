/** What a browser sees on a plain GET of the outside port. */
export const OUTSIDE_PAGE = `<!doctype html>
<html><head><meta charset="utf-8"><title>mswoole</title></head>
<body><h1>mswoole</h1><p>This port speaks WebSocket: connect with <code>ws://host:port/?auth=&lt;token&gt;</code>.</p></body></html>
`

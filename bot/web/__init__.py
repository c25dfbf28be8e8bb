"""The office dashboard (办公网页): server-rendered aiohttp pages for the town office and the
village admins, in a desktop browser or as a Telegram Mini App. A presentation beside
`bot/telegram/`: its views parse the request, call the same core use cases with the signed-in
`Actor`, and render a template; it adds no SQL and no rule of its own.

- `server.py`: the aiohttp application (`dashboard_routes`, `build_web_app`, `start_web`);
- `auth/`: sign-in (a /web link, Mini App init data), the session cookie, CSRF, who is asking;
- `pages.py`: what every view shares (`signed_in`, `render`, the month asked for);
- `views/`: one module per page, each with its `routes`;
- `templates/`, `static/`: the pages, the stylesheet, a little JavaScript, Chart.js.
"""

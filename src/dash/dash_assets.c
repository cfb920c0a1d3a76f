/*
 * dash_assets.c - the dashboard's stylesheet, script and icon as C
 * strings (written here by hand; nothing generated or copied in).
 *
 * The script does one thing: every 10 seconds it asks for the live part
 * of the page (GET /dashboard/live, with the session's CSRF token in
 * X-CSRF-Token) and puts it in place, so the tables and charts move
 * without a reload. Without JavaScript the page is the same, only still
 * (reload it); every action is a plain HTML form.
 */
#include "dash/dash_assets.h"

#include <string.h>

static const char dash_css[] =
    ":root{--fg:#1b1f24;--muted:#5b6470;--bg:#f6f7f9;--card:#fff;"
    "--line:#dde1e6;--ok:#1a7f37;--warn:#9a6700;--bad:#cf222e;"
    "--info:#0969da}\n"
    "*{box-sizing:border-box}\n"
    "body{margin:0;font:14px/1.45 system-ui,-apple-system,'Segoe UI',"
    "sans-serif;color:var(--fg);background:var(--bg)}\n"
    "header{display:flex;align-items:center;gap:16px;padding:10px 20px;"
    "background:#1b1f24;color:#fff}\n"
    "header h1{font-size:18px;margin:0;font-weight:600}\n"
    "header .who{margin-left:auto;color:#c9d1d9}\n"
    "header form{margin:0}\n"
    "main{max-width:1240px;margin:0 auto;padding:16px 20px 40px}\n"
    "section{background:var(--card);border:1px solid var(--line);"
    "border-radius:8px;padding:12px 16px;margin:0 0 16px}\n"
    "h2{font-size:15px;margin:0 0 8px}\n"
    "h3{font-size:14px;margin:8px 0 4px}\n"
    "table{border-collapse:collapse;width:100%}\n"
    "th,td{text-align:left;padding:5px 8px;border-bottom:1px solid "
    "var(--line);vertical-align:top}\n"
    "th{font-weight:600;color:var(--muted);font-size:12px}\n"
    "td.n{text-align:right;font-variant-numeric:tabular-nums}\n"
    ".badge{display:inline-block;padding:0 7px;border-radius:10px;"
    "font-size:12px;font-weight:600;border:1px solid currentColor}\n"
    ".st-closed{color:var(--ok)}.st-half-open,.st-draining{color:var(--warn)}"
    "\n.st-open,.st-paused,.st-disabled{color:var(--bad)}\n"
    ".reason{color:var(--muted);font-size:12px}\n"
    "button{font:inherit;font-size:12px;padding:2px 9px;border-radius:5px;"
    "border:1px solid var(--line);background:#f3f4f6;cursor:pointer}\n"
    "button:hover{background:#e7e9ec}\n"
    "button.danger{color:var(--bad)}\n"
    "form.inline{display:inline;margin:0 2px 0 0}\n"
    ".charts{display:grid;grid-template-columns:repeat(auto-fit,"
    "minmax(480px,1fr));gap:12px}\n"
    "svg.chart{width:100%;height:auto;background:#fbfcfd;border:1px solid "
    "var(--line);border-radius:6px}\n"
    "svg .grid{stroke:#e4e7eb;stroke-width:1}\n"
    "svg .ax,svg .lg{fill:var(--muted);font-size:11px}\n"
    "svg .ct{fill:var(--fg);font-size:12px;font-weight:600}\n"
    "svg .cu{fill:var(--muted);font-weight:400}\n"
    "svg .ln{fill:none;stroke-width:1.8}\n"
    ".s0{stroke:#0969da;fill:#0969da}.s1{stroke:#cf222e;fill:#cf222e}"
    ".s2{stroke:#1a7f37;fill:#1a7f37}.s3{stroke:#9a6700;fill:#9a6700}"
    ".s4{stroke:#8250df;fill:#8250df}.s5{stroke:#0a7b83;fill:#0a7b83}"
    ".s6{stroke:#bc4c00;fill:#bc4c00}.s7{stroke:#57606a;fill:#57606a}\n"
    "svg polyline.ln{fill:none}\n"
    ".incident{border-left:4px solid var(--bad);padding:4px 0 4px 12px;"
    "margin:8px 0}\n"
    ".incident.drill{border-left-color:var(--warn)}\n"
    ".timeline{margin:6px 0;padding-left:18px;font-size:13px}\n"
    ".timeline time{color:var(--muted);font-variant-numeric:tabular-nums;"
    "margin-right:6px}\n"
    ".kind{font-size:11px;color:var(--muted);text-transform:uppercase;"
    "margin-right:6px}\n"
    "textarea{font:inherit;width:100%;max-width:640px;min-height:3em}\n"
    ".flash{background:#ddf4ff;border:1px solid #54aeff;border-radius:6px;"
    "padding:6px 10px;margin:0 0 12px}\n"
    ".error{background:#ffebe9;border:1px solid #ff8182;border-radius:6px;"
    "padding:6px 10px;margin:0 0 12px}\n"
    ".muted{color:var(--muted)}\n"
    ".login{max-width:380px;margin:12vh auto;background:var(--card);"
    "border:1px solid var(--line);border-radius:8px;padding:20px 24px}\n"
    ".login input[type=password]{width:100%;font:inherit;padding:6px;"
    "margin:6px 0 12px}\n"
    ".login button{font-size:14px;padding:5px 16px}\n"
    "footer{color:var(--muted);font-size:12px;text-align:right}\n";

static const char dash_js[] =
    "/* swerve dashboard: refresh the live part every 10 s. */\n"
    "(function () {\n"
    "  'use strict';\n"
    "  var meta = document.querySelector('meta[name=\"csrf-token\"]');\n"
    "  var live = document.getElementById('live');\n"
    "  var stamp = document.getElementById('updated');\n"
    "  if (!meta || !live) { return; }\n"
    "  var token = meta.getAttribute('content');\n"
    "  function refresh() {\n"
    "    fetch('/dashboard/live', {\n"
    "      credentials: 'same-origin', cache: 'no-store',\n"
    "      headers: {'X-CSRF-Token': token}\n"
    "    }).then(function (r) {\n"
    "      if (r.status === 401) { window.location.href = "
    "'/dashboard/login'; return null; }\n"
    "      return r.ok ? r.text() : null;\n"
    "    }).then(function (html) {\n"
    "      if (html === null) { return; }\n"
    "      live.innerHTML = html;\n"
    "      if (stamp) { stamp.textContent = new Date().toLocaleTimeString(); "
    "}\n"
    "    }).catch(function () {\n"
    "      if (stamp) { stamp.textContent = 'offline'; }\n"
    "    });\n"
    "  }\n"
    "  window.setInterval(refresh, 10000);\n"
    "}());\n";

static const char dash_icon[] =
    "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 16 16\">"
    "<rect width=\"16\" height=\"16\" rx=\"3\" fill=\"#1b1f24\"/>"
    "<path d=\"M3 11 L7 5 L9 9 L13 4\" stroke=\"#54aeff\" stroke-width=\"2\" "
    "fill=\"none\"/></svg>\n";

static const struct dash_asset dash_assets[] = {
    {"dash.css", "text/css; charset=utf-8", dash_css, sizeof(dash_css) - 1},
    {"dash.js", "text/javascript; charset=utf-8", dash_js, sizeof(dash_js) - 1},
    {"icon.svg", "image/svg+xml", dash_icon, sizeof(dash_icon) - 1},
};

const struct dash_asset *
dash_asset_find(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(dash_assets) / sizeof(dash_assets[0]); i++)
		if (strcmp(dash_assets[i].name, name) == 0)
			return &dash_assets[i];
	return NULL;
}

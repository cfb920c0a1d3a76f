/*
 * dash_assets.h - the dashboard's stylesheet, script and icon, compiled
 * into swerved (contract).
 *
 * The dashboard needs nothing from outside swerved: no CDN, no web font
 * (the system's sans-serif), no script library. These are the only files
 * it serves besides its pages, under /dashboard/assets/NAME.
 */
#ifndef SWERVE_DASH_DASH_ASSETS_H
#define SWERVE_DASH_DASH_ASSETS_H

#include <stddef.h>

struct dash_asset {
	const char *name;  /* "dash.css", "dash.js", "icon.svg" */
	const char *ctype; /* its Content-Type */
	const char *body;
	size_t len;
};

/* dash_asset_find - the asset called name, or NULL. */
const struct dash_asset *dash_asset_find(const char *name);

#endif

/*
 * http_fleet.h - GET /v1/fleet: the cluster's nodes as this node sees
 * them (admin plane; swervectl status --fleet).
 */
#ifndef SWERVE_INGRESS_HTTP_FLEET_H
#define SWERVE_INGRESS_HTTP_FLEET_H

struct http_admin;
struct cluster;

/*
 * http_fleet_register - serve GET /v1/fleet from c (borrowed; must
 * outlive h): cluster_fleet_json's object with 200, or, c NULL (no
 * cluster: configured), 404 {"error":{"code":"not_clustered",...}}.
 */
void http_fleet_register(struct http_admin *h, struct cluster *c);

#endif

import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import { type AppEnv, problemResponses, requireIdentity } from "@shared/http";
import {
  CreateProfileBody,
  ListProfilesQuery,
  ProfileDto,
  ProfileIdParams,
  ProfilePageDto,
  toProfileDto,
  toProfilePageDto,
  UpdateProfileBody,
} from "./users.contract.ts";
import type { UsersService } from "./users.service.ts";

const identity = [{ gatewayIdentity: [] }];
const json = <T>(schema: T, description: string) => ({ description, content: { "application/json": { schema } } });

const createProfile = createRoute({
  method: "post",
  path: "/users",
  tags: ["users"],
  summary: "Create a profile (admin)",
  security: identity,
  request: { body: { content: { "application/json": { schema: CreateProfileBody } }, required: true } },
  responses: { 201: json(ProfileDto, "Created"), ...problemResponses(400, 401, 403, 409, 413, 415) },
});

const getProfile = createRoute({
  method: "get",
  path: "/users/{id}",
  tags: ["users"],
  summary: "Get a profile (self or admin)",
  security: identity,
  request: { params: ProfileIdParams },
  responses: { 200: json(ProfileDto, "The profile"), ...problemResponses(400, 401, 403, 404) },
});

const updateProfile = createRoute({
  method: "patch",
  path: "/users/{id}",
  tags: ["users"],
  summary: "Update a profile (self or admin)",
  security: identity,
  request: {
    params: ProfileIdParams,
    body: { content: { "application/json": { schema: UpdateProfileBody } }, required: true },
  },
  responses: { 200: json(ProfileDto, "The updated profile"), ...problemResponses(400, 401, 403, 404, 409, 413, 415) },
});

const listProfiles = createRoute({
  method: "get",
  path: "/users",
  tags: ["users"],
  summary: "List profiles, oldest first (admin)",
  security: identity,
  request: { query: ListProfilesQuery },
  responses: { 200: json(ProfilePageDto, "One page"), ...problemResponses(400, 401, 403) },
});

/** HTTP transport of the users service: validates, converts, calls the service. */
export function mountUsersRoutes(app: OpenAPIHono<AppEnv>, users: UsersService): void {
  app.openapi(createProfile, async (c) => {
    const profile = await users.create(requireIdentity(c), c.req.valid("json"));
    return c.json(toProfileDto(profile), 201, { location: `/users/${profile.id}` });
  });
  app.openapi(getProfile, async (c) => {
    const profile = await users.get(requireIdentity(c), c.req.valid("param").id);
    return c.json(toProfileDto(profile), 200);
  });
  app.openapi(updateProfile, async (c) => {
    const profile = await users.update(requireIdentity(c), c.req.valid("param").id, c.req.valid("json"));
    return c.json(toProfileDto(profile), 200);
  });
  app.openapi(listProfiles, async (c) => {
    const { cursor, limit } = c.req.valid("query");
    return c.json(toProfilePageDto(await users.list(requireIdentity(c), cursor, limit)), 200);
  });
}

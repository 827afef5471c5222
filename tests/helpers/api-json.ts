/** The API's JSON answers as the HTTP tests read them, typed from the service's own schemas. */
import type { Static } from '@sinclair/typebox';
import type { GoalProgress } from '../../src/http/schemas.ts';

export type { ErrorBody } from '../../src/http/error-response.ts';

/** A goal as the list and one-challenge answers show it. */
export type GoalJson = Static<typeof GoalProgress>;

import { lexicographicSortSchema } from 'graphql';
import { builder } from '../builder';
import './scalars';
import './errors';
import './secret';
import './secret-version';
import './secret-mutations';
import './api-key';
import './developer';
import './audit-event';
import './task';
import './data-key';

/** The executable schema, sorted so the committed schema.graphql diffs cleanly. */
export const schema = lexicographicSortSchema(builder.toSchema());

/**
 * What the live stream says when a root-cause group changes (docs/root-cause-groups.md):
 * a member joined, left, recovered or regressed. Told once per namespace of the group,
 * to that namespace's readers, with numbers only: the group itself, as a caller may see
 * it, is read from `GET /api/v1/groups/{id}`.
 */
export interface GroupChange {
  type: 'group';
  id: string;
  namespace: string;
  state: 'ACTIVE' | 'RESOLVED';
  size: number;
  recovered: number;
}

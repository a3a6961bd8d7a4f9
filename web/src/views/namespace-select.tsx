/** The namespaces filter: several at once, or none chosen for every namespace you may read. */
import { Badge, MenuToggle, Select, SelectList, SelectOption } from '@patternfly/react-core';
import { useQuery } from '@tanstack/react-query';
import { useId, useState } from 'react';
import { kite } from '../api.js';

export function NamespaceSelect({
  chosen,
  onChange,
}: {
  chosen: string[];
  onChange: (namespaces: string[]) => void;
}) {
  const [open, setOpen] = useState(false);
  const id = useId();
  const namespaces = useQuery({ queryKey: ['namespaces'], queryFn: () => kite.namespaces() });
  const known = namespaces.data?.namespaces ?? [];
  const options = [...new Set([...known, ...chosen])].sort();
  const toggle = (namespace: string) =>
    onChange(
      chosen.includes(namespace) ? chosen.filter((n) => n !== namespace) : [...chosen, namespace],
    );
  const summary =
    chosen.length === 0 ? 'All my namespaces' : chosen.length === 1 ? chosen[0]! : 'Namespaces';
  // Named "Namespaces" and then by what it shows (the choice and its count badge), so the
  // name a screen reader speaks contains the visible text (WCAG 2.5.3, label in name).
  return (
    <Select
      role="menu"
      isOpen={open}
      onOpenChange={setOpen}
      selected={chosen}
      onSelect={(_event, value) => {
        if (value === '') onChange([]);
        else if (typeof value === 'string') toggle(value);
      }}
      toggle={(ref) => (
        <MenuToggle
          ref={ref}
          id={`${id}-toggle`}
          onClick={() => setOpen(!open)}
          isExpanded={open}
          aria-labelledby={`${id}-label ${id}-toggle`}
          badge={chosen.length > 0 && <Badge isRead>{chosen.length}</Badge>}
        >
          <span id={`${id}-label`} hidden>
            Namespaces:
          </span>
          {summary}
        </MenuToggle>
      )}
    >
      <SelectList aria-label="Namespaces">
        <SelectOption value="" hasCheckbox isSelected={chosen.length === 0}>
          All my namespaces
        </SelectOption>
        {options.map((namespace) => (
          <SelectOption
            key={namespace}
            value={namespace}
            hasCheckbox
            isSelected={chosen.includes(namespace)}
          >
            {namespace}
          </SelectOption>
        ))}
      </SelectList>
    </Select>
  );
}

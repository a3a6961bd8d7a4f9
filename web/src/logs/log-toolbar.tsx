/** The log viewer's controls: step, format, search (count, previous, next), follow, download. */
import {
  Button,
  FormSelect,
  FormSelectOption,
  SearchInput,
  Switch,
  ToggleGroup,
  ToggleGroupItem,
  Toolbar,
  ToolbarContent,
  ToolbarItem,
} from '@patternfly/react-core';
import type { LogSection } from './log-store.js';

interface Props {
  sections: LogSection[];
  section: number;
  onSection: (line: number) => void;
  format: 'raw' | 'text';
  onFormat: (format: 'raw' | 'text') => void;
  query: string;
  onQuery: (query: string) => void;
  /** 1-based position of the current match, 0 when none is selected. */
  position: number;
  count: number;
  onFind: (direction: 1 | -1) => void;
  follow: boolean;
  onFollow: (follow: boolean) => void;
  onDownload: () => void;
}

export function LogToolbar(props: Props) {
  const { sections, count, position } = props;
  return (
    <Toolbar className="kite-log-toolbar">
      <ToolbarContent>
        <ToolbarItem>
          <FormSelect
            aria-label="Step"
            value={props.section}
            onChange={(_event, value) => props.onSection(Number(value))}
            isDisabled={sections.length === 0}
            data-testid="log-step"
          >
            {sections.length === 0 && <FormSelectOption value={-1} label="No steps yet" />}
            {sections.map((section) => (
              <FormSelectOption key={section.line} value={section.line} label={section.label} />
            ))}
          </FormSelect>
        </ToolbarItem>
        <ToolbarItem>
          <ToggleGroup aria-label="Format">
            <ToggleGroupItem
              text="Text"
              isSelected={props.format === 'text'}
              onChange={() => props.onFormat('text')}
            />
            <ToggleGroupItem
              text="As stored"
              isSelected={props.format === 'raw'}
              onChange={() => props.onFormat('raw')}
            />
          </ToggleGroup>
        </ToolbarItem>
        <ToolbarItem>
          <SearchInput
            aria-label="Search the log"
            placeholder="Search the log"
            value={props.query}
            onChange={(_event, value) => props.onQuery(value)}
            onClear={() => props.onQuery('')}
            onSearch={() => props.onFind(1)}
            resultsCount={props.query ? `${position}/${count}` : undefined}
            resultsCountContext=" matches"
            onNextClick={() => props.onFind(1)}
            onPreviousClick={() => props.onFind(-1)}
            isNextNavigationButtonDisabled={count === 0}
            isPreviousNavigationButtonDisabled={count === 0}
            data-testid="log-search"
          />
        </ToolbarItem>
        <ToolbarItem>
          <Switch
            id="kite-log-follow"
            label="Follow"
            isChecked={props.follow}
            onChange={(_event, checked) => props.onFollow(checked)}
          />
        </ToolbarItem>
        <ToolbarItem>
          <Button variant="secondary" onClick={props.onDownload} data-testid="log-download">
            Download
          </Button>
        </ToolbarItem>
      </ToolbarContent>
    </Toolbar>
  );
}

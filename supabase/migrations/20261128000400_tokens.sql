-- tokens — Read-Through Cache: safety and market facts per mint, fetched on demand
-- from RugCheck, DexScreener and Helius DAS, reused until they expire. The verdict is
-- judged in SQL from the facts and the config thresholds.

create type walltrack.token_verdict as enum ('safe', 'risky', 'unsafe', 'unknown');
comment on type walltrack.token_verdict is
'safe = passes every filter; risky = passes but with warnings; unsafe = fails a filter; '
'unknown = facts missing (handled by config.unknown_token_policy).';

create type walltrack.token_list as enum ('whitelist', 'blacklist');
comment on type walltrack.token_list is
'Manual operator decision that wins over every computed verdict.';

create table walltrack.tokens (
  -- identity
  mint walltrack.solana_address primary key,
  symbol text,
  name text,
  decimals smallint,
  supply numeric,
  -- authorities (null = revoked, once authorities_checked_at is set)
  mint_authority text,
  freeze_authority text,
  authorities_checked_at timestamptz,
  -- RugCheck
  rugcheck_score integer,
  rugcheck_score_normalised integer,
  risks jsonb not null default '[]',
  top10_holders_pct numeric,
  lp_locked_pct numeric,
  rugged boolean,
  -- market (DexScreener / Helius)
  pair_address text,
  dex_id text,
  liquidity_usd numeric,
  market_cap_usd numeric,
  fdv_usd numeric,
  price_usd numeric,
  price_sol numeric,
  pair_created_at timestamptz,
  -- verdict
  verdict walltrack.token_verdict not null default 'unknown',
  verdict_reasons text[] not null default '{}',
  verdict_at timestamptz,
  manual_list walltrack.token_list,
  manual_note text,
  -- cache control
  fetched_at timestamptz,
  expires_at timestamptz,
  failed_sources text[] not null default '{}',
  hit_count bigint not null default 0,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),

  constraint tokens_decimals_range check (walltrack.ensure(
    decimals between 0 and 18, format('tokens.decimals must be within 0..18, got %s', decimals)
  )),
  constraint tokens_amounts_not_negative check (walltrack.ensure(
    coalesce(supply >= 0, true) and coalesce(liquidity_usd >= 0, true)
    and coalesce(market_cap_usd >= 0, true) and coalesce(fdv_usd >= 0, true)
    and coalesce(price_usd >= 0, true) and coalesce(price_sol >= 0, true),
    'token supply, liquidity, market cap, FDV and prices must not be negative'
  )),
  constraint tokens_shares_range check (walltrack.ensure(
    coalesce(top10_holders_pct between 0 and 100, true)
    and coalesce(lp_locked_pct between 0 and 100, true)
    and coalesce(rugcheck_score_normalised between 0 and 100, true),
    'token percentages (top10_holders_pct, lp_locked_pct, rugcheck_score_normalised) must be '
    || 'within 0..100'
  )),
  constraint tokens_risks_array check (walltrack.ensure(
    jsonb_typeof(risks) = 'array', 'tokens.risks must be a JSON array'
  ))
);

create index tokens_expires_at_idx on walltrack.tokens (expires_at);

create trigger tokens_before_update_set_updated_at
before update on walltrack.tokens
for each row execute function walltrack.trigger_set_updated_at();

alter table walltrack.tokens enable row level security;
grant select, insert, update on walltrack.tokens to service_role;

comment on table walltrack.tokens is
'Read-Through Cache: safety and market facts per mint (RugCheck, DexScreener, Helius DAS), '
'fetched on demand and reused until expires_at. The verdict is computed in SQL from the '
'facts and the config thresholds; manual_list (whitelist/blacklist) wins over it.';
comment on column walltrack.tokens.mint is 'The token mint address (base58).';
comment on column walltrack.tokens.symbol is 'Ticker symbol from the token metadata.';
comment on column walltrack.tokens.name is 'Token name from the token metadata.';
comment on column walltrack.tokens.decimals is
'Decimals of the mint: atomic amounts / 10^decimals = UI amounts.';
comment on column walltrack.tokens.supply is 'Total supply in atomic units.';
comment on column walltrack.tokens.mint_authority is
'Who can mint more supply; null = revoked (once authorities_checked_at is set).';
comment on column walltrack.tokens.freeze_authority is
'Who can freeze holders'' accounts; null = revoked (once authorities_checked_at is set).';
comment on column walltrack.tokens.authorities_checked_at is
'When the authorities were read; empty = unknown, so null authorities mean nothing yet.';
comment on column walltrack.tokens.rugcheck_score is 'RugCheck raw risk score.';
comment on column walltrack.tokens.rugcheck_score_normalised is
'RugCheck normalised risk score, 0..100, higher = riskier.';
comment on column walltrack.tokens.risks is
'RugCheck risks: [{name, level, description, score}].';
comment on column walltrack.tokens.top10_holders_pct is
'Share of supply held by the 10 largest holders (%).';
comment on column walltrack.tokens.lp_locked_pct is 'Share of pool liquidity locked (%).';
comment on column walltrack.tokens.rugged is 'RugCheck says the token was rugged: unsafe for good.';
comment on column walltrack.tokens.pair_address is 'Deepest pool (highest USD liquidity).';
comment on column walltrack.tokens.dex_id is 'DEX of the deepest pool.';
comment on column walltrack.tokens.liquidity_usd is 'USD liquidity of the deepest pool.';
comment on column walltrack.tokens.market_cap_usd is 'Market capitalisation in USD.';
comment on column walltrack.tokens.fdv_usd is 'Fully diluted valuation in USD.';
comment on column walltrack.tokens.price_usd is 'Last known price per whole token in USD.';
comment on column walltrack.tokens.price_sol is 'Last known price per whole token in SOL.';
comment on column walltrack.tokens.pair_created_at is
'When the deepest pool was created (pool age filter).';
comment on column walltrack.tokens.verdict is
'safe / risky / unsafe / unknown, computed in SQL from the facts and config thresholds.';
comment on column walltrack.tokens.verdict_reasons is
'Machine-readable reasons behind the verdict (e.g. mint_authority_active, low_liquidity).';
comment on column walltrack.tokens.verdict_at is 'When the verdict was last computed.';
comment on column walltrack.tokens.manual_list is
'Operator override: whitelist or blacklist wins over every computed verdict.';
comment on column walltrack.tokens.manual_note is 'Why the operator listed the token.';
comment on column walltrack.tokens.fetched_at is 'When the facts were last fetched.';
comment on column walltrack.tokens.expires_at is
'Facts are reused until then; after it the next buy refetches them.';
comment on column walltrack.tokens.failed_sources is
'Sources that failed on the last fetch (rugcheck, dexscreener, das): their facts stay unknown.';
comment on column walltrack.tokens.hit_count is 'How many lookups this cache row answered.';
comment on column walltrack.tokens.created_at is 'When the mint was first seen.';
comment on column walltrack.tokens.updated_at is 'Last change of the row.';

-- Rollback:
-- drop table walltrack.tokens;
-- drop type walltrack.token_list;
-- drop type walltrack.token_verdict;

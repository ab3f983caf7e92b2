-- discovery_signers_and_wash_flag
--
-- supabase/schemas/ holds the live definition of each concern; this folder is its history.
-- Make the same change in the matching supabase/schemas/ file, in the same commit, then run
-- `make check-schema`: both trees must build the same database.

-- Issue 17, finished: a winner's buyers are the transactions' signers (fee payers), never a
-- pool whose balances moved the other way; a wash trading flag; the single-token flag's
-- default raised to 75 % (lopsided memecoin returns made every patient trader look lucky).

alter table walltrack.config
add column discovery_wash_min_round_trips integer not null default 5,
add column discovery_wash_max_pnl_pct numeric not null default 1,
alter column discovery_max_single_token_profit_pct set default 75;

update walltrack.config set discovery_max_single_token_profit_pct = 75
where discovery_max_single_token_profit_pct = 50;

alter table walltrack.config
add constraint config_discovery_wash_thresholds check (walltrack.ensure(
  discovery_wash_min_round_trips >= 2 and discovery_wash_max_pnl_pct between 0 and 100,
  format(
    'config wash trading flag out of range: at least 2 round trips (got %s), PnL within '
    || '0..100 %% of the SOL bought (got %s)',
    discovery_wash_min_round_trips, discovery_wash_max_pnl_pct
  )
));
comment on column walltrack.config.discovery_max_single_token_profit_pct is
'Single token flag: the largest win is more than this % of the candidate''s total realized PnL '
'(default 75: memecoin returns are lopsided, so a good trader''s best of five trades is often '
'half its profit; three quarters is one token carrying the record).';
comment on column walltrack.config.discovery_wash_min_round_trips is
'Wash trading flag: one token sold at least this many times...';
comment on column walltrack.config.discovery_wash_max_pnl_pct is
'...for a realized PnL within this % of the SOL spent buying it (volume churned for nothing).';

drop function walltrack.discovery_swaps(jsonb);

create function walltrack.discovery_swaps(transactions jsonb)
returns table (
  signature text, slot bigint, block_time timestamptz, source text, wallet text,
  side walltrack.trade_side, token_mint text, token_amount numeric, token_decimals smallint,
  sol_lamports numeric, usable boolean, by_fee_payer boolean
)
language sql
immutable
set search_path = ''
as $$
  -- Every swap of normalised transactions (the webhook parser's payloads); usable = a
  -- successful transaction, a SOL (wSOL) quote, a known side, a positive token amount.
  -- by_fee_payer = the swap's wallet paid the transaction's fee, so it signed it: the
  -- trader, not a pool or program account whose balances moved the other way.
  select
    t.value ->> 'signature',
    (t.value ->> 'slot')::bigint,
    to_timestamp((t.value ->> 'timestamp')::bigint),
    t.value ->> 'source',
    s.value ->> 'wallet',
    case when s.value ->> 'side' in ('buy', 'sell')
      then (s.value ->> 'side')::walltrack.trade_side end,
    s.value ->> 'token_mint',
    (s.value ->> 'token_amount')::numeric,
    (s.value ->> 'token_decimals')::smallint,
    (s.value ->> 'quote_amount')::numeric,
    t.value ->> 'tx_error' is null
    and s.value ->> 'quote_mint' = 'So11111111111111111111111111111111111111112'
    and s.value ->> 'side' in ('buy', 'sell')
    and (s.value ->> 'token_amount')::numeric > 0
    and (s.value ->> 'quote_amount')::numeric >= 0
    and t.value ->> 'timestamp' is not null,
    s.value ->> 'wallet' = t.value ->> 'fee_payer'
  from jsonb_array_elements(transactions) as t
  cross join lateral jsonb_array_elements(coalesce(t.value -> 'swaps', '[]')) as s;
$$;
comment on function walltrack.discovery_swaps(jsonb) is
'The swaps of normalised transactions, one row each, marked usable when the transaction '
'succeeded and the token was traded against SOL (wSOL), and by_fee_payer when its wallet '
'signed the transaction (paid its fee).';
grant execute on function walltrack.discovery_swaps(jsonb) to service_role;

create or replace function walltrack.record_winner_page(
  mint text, transactions jsonb, oldest_signature text, complete boolean
)
returns jsonb
language plpgsql
set search_path = ''
as $$
-- One page (newest first) of a winner mint's parsed history. Its buys of the mint (by the
-- transaction's signer: a pool's side of a sell is no buy) are stored once; a buyer whose one buy paid at least config.discovery_min_size_buy_sol of
-- its own SOL is a candidate now (size_buyer). When the walk completes (it reached the
-- mint's first transaction), the first config.discovery_early_buyers distinct buyers by
-- their first buy's block time (then slot, signature) become candidates (early_buyer).
declare
  cfg walltrack.config;
  winner walltrack.discovery_winners;
  engine text;
  new_candidates integer := 0;
  size_buyers text[];
begin
  perform walltrack.ensure(jsonb_typeof(transactions) = 'array',
    'record_winner_page expects a JSON array of normalised transactions');
  select c.* into strict cfg from walltrack.config as c;
  select w.* into winner from walltrack.discovery_winners as w
  where w.mint = record_winner_page.mint for update;
  perform walltrack.ensure(winner.id is not null,
    format('%s is not a discovery winner', mint),
    'Winners are stored by api.record_winners.');
  engine := walltrack.begin_engine_write();
  insert into walltrack.discovery_winner_buys (
    winner_id, buyer, signature, slot, block_time, token_amount, sol_lamports
  )
  select winner.id, s.wallet, s.signature, s.slot, s.block_time, s.token_amount, s.sol_lamports
  from walltrack.discovery_swaps(transactions) as s
  where s.usable and s.by_fee_payer and s.side = 'buy' and s.token_mint = winner.mint
    and s.wallet ~ '^[1-9A-HJ-NP-Za-km-z]{32,44}$'
  on conflict on constraint discovery_winner_buys_once do nothing;
  size_buyers := array(
    select distinct s.wallet from walltrack.discovery_swaps(transactions) as s
    where s.usable and s.by_fee_payer and s.side = 'buy' and s.token_mint = winner.mint
      and s.wallet ~ '^[1-9A-HJ-NP-Za-km-z]{32,44}$'
      and s.sol_lamports >= cfg.discovery_min_size_buy_sol * 1000000000
  );
  new_candidates := walltrack.add_candidates(size_buyers, 'size_buyer', winner.id, '');
  if complete then
    new_candidates := new_candidates + walltrack.add_candidates(array(
      select f.buyer from (
        select distinct on (b.buyer) b.buyer, b.block_time, b.slot, b.signature
        from walltrack.discovery_winner_buys as b where b.winner_id = winner.id
        order by b.buyer, b.block_time, b.slot nulls last, b.signature
      ) as f
      order by f.block_time, f.slot nulls last, f.signature
      limit cfg.discovery_early_buyers
    ), 'early_buyer', winner.id, '');
  end if;
  update walltrack.discovery_winners as w
  set
    history_before = case when complete then null
      else coalesce(oldest_signature, w.history_before) end,
    history_complete = complete,
    history_read_at = now()
  where w.id = winner.id
  returning * into winner;
  perform walltrack.end_engine_write(engine);
  return jsonb_build_object('new_candidates', new_candidates, 'before', winner.history_before);
end;
$$;
comment on function walltrack.record_winner_page(text, jsonb, text, boolean) is
'Stores the buys of a winner''s mint from one page of its history, makes its size buyers '
'candidates, and its early buyers once the walk completes; returns {new_candidates, before}.';
grant execute on function walltrack.record_winner_page(text, jsonb, text, boolean)
to service_role;

create or replace view walltrack.candidate_ledger
with (security_invoker = true)
as
with tokens as (
  select
    t.candidate_id,
    count(*) as tokens_traded,
    count(*) filter (where t.is_trade) as trade_count,
    count(*) filter (where t.is_trade and t.realized_pnl_sol > 0) as wins,
    count(*) filter (where t.is_trade and t.realized_pnl_sol < 0) as losses,
    coalesce(sum(t.realized_pnl_sol) filter (where t.is_trade), 0) as realized_pnl_sol,
    coalesce(sum(t.realized_pnl_sol) filter (where t.realized_pnl_sol > 0), 0)
      as gross_profit_sol,
    coalesce(-sum(t.realized_pnl_sol) filter (where t.realized_pnl_sol < 0), 0)
      as gross_loss_sol,
    sum(t.cost_sold_sol) filter (where t.is_trade) as cost_sold_sol,
    avg(t.return_ratio) filter (where t.is_trade) as mean_return_ratio,
    percentile_cont(0.5) within group (order by t.hold_seconds)
    filter (where t.is_trade) as median_hold_seconds,
    max(t.realized_pnl_sol) filter (where t.is_trade) as largest_win_sol,
    count(*) filter (where t.tokens_sold_never_bought > 0) as sold_never_bought_tokens,
    coalesce(sum(t.sold_never_bought_sol), 0) as sold_never_bought_sol,
    (
      array_agg(t.signatures[1] order by t.realized_pnl_sol desc, t.token_mint asc)
      filter (where t.is_trade)
    )[1:5
    ] as evidence_signatures,
    jsonb_agg(
      jsonb_build_object('token_mint', t.token_mint, 'signatures', t.signatures)
      order by t.realized_pnl_sol desc, t.token_mint asc
    )
    filter (where t.is_trade and t.realized_pnl_sol > 0) -> 0 as largest_win_token,
    jsonb_agg(jsonb_build_object(
      'token_mint', t.token_mint, 'tokens', t.tokens_sold_never_bought,
      'proceeds_sol', t.sold_never_bought_sol, 'signatures', t.signatures
    ) order by t.sold_never_bought_sol desc, t.token_mint asc)
    filter (where t.tokens_sold_never_bought > 0) as sold_never_bought_evidence,
    jsonb_agg(jsonb_build_object(
      'token_mint', t.token_mint, 'buys', t.buys, 'sells', t.sells,
      'bought_sol', round(t.bought_sol, 9),
      'realized_pnl_sol', t.realized_pnl_sol, 'signatures', t.signatures
    ) order by t.bought_sol desc, t.token_mint asc)
    filter (
      where t.sells >= (select c.discovery_wash_min_round_trips from walltrack.config as c)
      and abs(t.realized_pnl_sol) <= t.bought_sol
      * (select c.discovery_wash_max_pnl_pct from walltrack.config as c) / 100
    ) -> 0 as churned_token
  from walltrack.candidate_token_ledger as t
  group by t.candidate_id
)

select
  d.id as candidate_id,
  coalesce(t.trade_count, 0) as trade_count,
  coalesce(t.tokens_traded, 0) as tokens_traded,
  coalesce(t.wins, 0) as wins,
  coalesce(t.losses, 0) as losses,
  round(100.0 * t.wins / nullif(t.trade_count, 0), 2) as win_rate_pct,
  coalesce(t.realized_pnl_sol, 0) as realized_pnl_sol,
  round(t.gross_profit_sol / nullif(t.gross_loss_sol, 0), 4) as profit_factor,
  round(t.realized_pnl_sol / nullif(t.trade_count, 0), 9) as expectancy_sol,
  round(100 * t.mean_return_ratio, 2) as expectancy_pct,
  round(t.cost_sold_sol / nullif(t.trade_count, 0), 9) as avg_cost_per_trade_sol,
  round(t.median_hold_seconds::numeric, 0) as median_hold_seconds,
  case when t.largest_win_sol > 0 then t.largest_win_sol end as largest_win_sol,
  case
    when t.largest_win_sol > 0 and t.realized_pnl_sol > 0
      then round(100 * t.largest_win_sol / t.realized_pnl_sol, 2)
  end as largest_win_share_pct,
  coalesce(t.sold_never_bought_tokens, 0) as sold_never_bought_tokens,
  coalesce(t.sold_never_bought_sol, 0) as sold_never_bought_sol,
  p.period_start,
  p.period_end,
  p.period_days,
  coalesce(t.evidence_signatures, '{}') as evidence_signatures,
  t.largest_win_token,
  t.sold_never_bought_evidence,
  t.churned_token
from walltrack.discovery_candidates as d
inner join walltrack.candidate_periods as p on d.id = p.candidate_id
left join tokens as t on d.id = t.candidate_id;

comment on column walltrack.candidate_ledger.churned_token is
'{token_mint, buys, sells, bought_sol, realized_pnl_sol, signatures} of its largest token '
'bought and sold over and over for nothing: at least config.discovery_wash_min_round_trips '
'sells, realized PnL within config.discovery_wash_max_pnl_pct % of the SOL bought.';

create or replace view walltrack.candidate_flags
with (security_invoker = true)
as
with period_swaps as (
  select s.*
  from walltrack.candidate_swaps as s
  inner join walltrack.candidate_periods as p on s.candidate_id = p.candidate_id
  where s.block_time between p.period_start and p.period_end
),

-- Bot activity counts every transaction of the period, dust included.
busiest_minute as (
  select distinct on (m.candidate_id) m.*
  from (
    select
      s.candidate_id,
      date_trunc('minute', s.block_time) as minute,
      count(distinct s.signature) as transactions,
      (array_agg(distinct s.signature))[1:3] as signatures
    from period_swaps as s
    group by s.candidate_id, date_trunc('minute', s.block_time)
  ) as m
  order by m.candidate_id asc, m.transactions desc, m.minute asc
),

busiest_hour as (
  select distinct on (h.candidate_id) h.*
  from (
    select
      s.candidate_id,
      date_trunc('hour', s.block_time) as hour,
      count(distinct s.token_mint) as tokens,
      (array_agg(distinct s.signature))[1:3] as signatures
    from period_swaps as s
    group by s.candidate_id, date_trunc('hour', s.block_time)
  ) as h
  order by h.candidate_id asc, h.tokens desc, h.hour asc
),

first_swap as (
  select distinct on (s.candidate_id)
    s.candidate_id,
    s.block_time,
    s.signature
  from walltrack.candidate_swaps as s
  order by s.candidate_id, s.block_time, s.slot, s.signature
),

judged as (
  select
    l.*,
    array_remove(array[
      case
        when
          bm.transactions >= c.discovery_bot_max_tx_per_minute
          or bh.tokens >= c.discovery_bot_max_tokens_per_hour
          then
            jsonb_build_object(
              'flag', 'bot',
              'max_tx_per_minute', bm.transactions, 'minute', bm.minute,
              'max_tokens_per_hour', bh.tokens, 'hour', bh.hour,
              'thresholds', jsonb_build_object(
                'tx_per_minute', c.discovery_bot_max_tx_per_minute,
                'tokens_per_hour', c.discovery_bot_max_tokens_per_hour
              ),
              'signatures', to_jsonb(case
                when bm.transactions >= c.discovery_bot_max_tx_per_minute
                  then bm.signatures
                else bh.signatures
              end)
            )
      end,
      case
        when
          l.trade_count >= c.discovery_sniper_min_closed_tokens
          and l.median_hold_seconds < 60 * c.discovery_sniper_max_median_hold_minutes
          then jsonb_build_object(
            'flag', 'sniper', 'median_hold_seconds', l.median_hold_seconds,
            'trades', l.trade_count,
            'thresholds', jsonb_build_object(
              'median_hold_minutes', c.discovery_sniper_max_median_hold_minutes,
              'min_trades', c.discovery_sniper_min_closed_tokens
            )
          )
      end,
      case
        when
          l.trade_count >= c.discovery_win_rate_min_trades
          and l.win_rate_pct > c.discovery_max_win_rate_pct
          then
            jsonb_build_object(
              'flag', 'suspicious_win_rate', 'win_rate_pct', l.win_rate_pct,
              'trades', l.trade_count,
              'thresholds', jsonb_build_object(
                'win_rate_pct', c.discovery_max_win_rate_pct,
                'min_trades', c.discovery_win_rate_min_trades
              )
            )
      end,
      case
        when fs.block_time > l.period_end - make_interval(days => c.discovery_fresh_wallet_days)
          then jsonb_build_object(
            'flag', 'fresh_wallet', 'first_swap_at', fs.block_time,
            'days_before_period_end',
            round(extract(epoch from l.period_end - fs.block_time) / 86400, 2),
            'thresholds', jsonb_build_object('days', c.discovery_fresh_wallet_days),
            'signatures', jsonb_build_array(fs.signature)
          )
      end,
      case
        when l.sold_never_bought_tokens >= c.discovery_sold_never_bought_min_tokens
          then jsonb_build_object(
            'flag', 'sold_never_bought', 'tokens', l.sold_never_bought_tokens,
            'proceeds_sol', l.sold_never_bought_sol, 'evidence', l.sold_never_bought_evidence,
            'thresholds', jsonb_build_object('tokens', c.discovery_sold_never_bought_min_tokens)
          )
      end,
      case
        when l.largest_win_share_pct > c.discovery_max_single_token_profit_pct
          then jsonb_build_object(
            'flag', 'single_token_profit', 'token_mint', l.largest_win_token -> 'token_mint',
            'largest_win_sol', l.largest_win_sol, 'realized_pnl_sol', l.realized_pnl_sol,
            'share_pct', l.largest_win_share_pct,
            'thresholds', jsonb_build_object('share_pct', c.discovery_max_single_token_profit_pct),
            'signatures', l.largest_win_token -> 'signatures'
          )
      end,
      case when l.churned_token is not null then jsonb_build_object(
        'flag', 'wash_trading', 'token_mint', l.churned_token -> 'token_mint',
        'buys', l.churned_token -> 'buys', 'sells', l.churned_token -> 'sells',
        'bought_sol', l.churned_token -> 'bought_sol',
        'realized_pnl_sol', l.churned_token -> 'realized_pnl_sol',
        'thresholds', jsonb_build_object(
          'min_round_trips', c.discovery_wash_min_round_trips,
          'max_pnl_pct', c.discovery_wash_max_pnl_pct
        ),
        'signatures', l.churned_token -> 'signatures'
      ) end,
      case when l.trade_count < c.discovery_min_trades then jsonb_build_object(
        'flag', 'low_activity', 'trades', l.trade_count,
        'thresholds', jsonb_build_object('min_trades', c.discovery_min_trades)
      ) end
    ], null) as flag_list
  from walltrack.candidate_ledger as l
  cross join walltrack.config as c
  left join busiest_minute as bm on l.candidate_id = bm.candidate_id
  left join busiest_hour as bh on l.candidate_id = bh.candidate_id
  left join first_swap as fs on l.candidate_id = fs.candidate_id
)

select
  j.candidate_id,
  array(select f ->> 'flag' from unnest(j.flag_list) as f) as flag_names,
  coalesce(to_jsonb(j.flag_list), '[]'::jsonb) as flags,
  j.trade_count,
  j.tokens_traded,
  j.wins,
  j.losses,
  j.win_rate_pct,
  j.realized_pnl_sol,
  j.profit_factor,
  j.expectancy_sol,
  j.expectancy_pct,
  j.avg_cost_per_trade_sol,
  j.median_hold_seconds,
  j.largest_win_sol,
  j.largest_win_share_pct,
  j.sold_never_bought_tokens,
  j.sold_never_bought_sol,
  j.period_start,
  j.period_end,
  j.period_days,
  j.evidence_signatures
from judged as j;

comment on view walltrack.candidate_flags is
'Each candidate''s flags over its period, each with its evidence (figures, thresholds, '
'signatures): bot (transactions in one minute or tokens in one hour at the config limits), '
'sniper (median hold under config minutes over enough trades), suspicious_win_rate, '
'fresh_wallet (earliest swap read is recent), sold_never_bought, single_token_profit (largest '
'win''s share of realized PnL), wash_trading (one token bought and sold over and over for '
'nothing), low_activity (too few trades to measure).';

comment on column walltrack.candidate_ranking.flag_names is
'Flags raised (bot, sniper, suspicious_win_rate, fresh_wallet, sold_never_bought, '
'single_token_profit, wash_trading, low_activity): a flagged candidate ranks after every '
'unflagged one and is never auto-promoted.';

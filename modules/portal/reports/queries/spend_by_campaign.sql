-- Ad spend, clicks and impressions per campaign over [from, to), with the campaign's
-- latest name.
SELECT platform, campaign_id,
       (array_agg(campaign_name ORDER BY day DESC))[1] AS campaign_name,
       currency,
       sum(spend)::float8 AS spend,
       sum(clicks) AS clicks,
       sum(impressions) AS impressions
FROM ad_spend_daily
WHERE tenant_id = @tenant AND day >= @from AND day < @to
GROUP BY platform, campaign_id, currency
ORDER BY platform, campaign_id, currency

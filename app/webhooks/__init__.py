"""Webhooks: a course's URLs and a CI upload's callback_url are told when a grade is stored,
with a POST signed under the course's secret, sent by `autograder worker --deliveries`."""

# 378: :value on the envelope
require ["fileinto", "relational", "envelope"];
if envelope :domain :value "gt" "to" "example.a" { fileinto "After"; }

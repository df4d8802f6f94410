# 084: address with comment and quoted display name
require "fileinto";
if address :is "reply-to" "jdoe+lists@example.org" { fileinto "Reply"; }

# 064: header :is with the full From value
require "fileinto";
if header :is "from" "Alice Example <alice@example.net>" { fileinto "Full"; }

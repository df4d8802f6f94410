# 500: forward a copy and keep
require ["copy"];
# rule:[forward]
if true { redirect :copy "me@example.org"; }

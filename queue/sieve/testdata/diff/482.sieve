# 482: redirect :copy without require is invalid
redirect :copy "bob@example.org";

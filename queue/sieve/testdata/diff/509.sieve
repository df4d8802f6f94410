# 509: redirect to an empty address after expansion
require "variables";
redirect "${nothing}";

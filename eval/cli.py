def add_eval_parser(sub, common):
    pass

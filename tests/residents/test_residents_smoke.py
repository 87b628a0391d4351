from residents_desk import Desk


def test_move_in_family(desk: Desk) -> None:
    result = desk.family()
    assert len(result.rows) == 3
    head = desk.person(result.rows[0].atena_no)
    assert head.person.is_head
    assert head.person.head_name == "山田　太郎"
